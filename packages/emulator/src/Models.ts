/**
 * Which clip lengths and sizes each model accepts. Defaults follow the published SDK/SPEC enum
 * (seconds 4/8/12); 16/20 s (added by the 2026-03 guide, never in the SDK enum) are opt-in so that
 * whatever passes against the emulator also passed against every real account.
 */
export interface ModelSpec {
  /** Allowed `seconds` values, as strings (the wire type). */
  readonly seconds: ReadonlyArray<string>
  /** Allowed `WxH` sizes; the first is the default when `size` is omitted. */
  readonly sizes: ReadonlyArray<string>
  /** Default `seconds` when omitted; the first entry of `seconds` otherwise. */
  readonly defaultSeconds?: string
}

export type ModelTable = Readonly<Record<string, ModelSpec>>

export const DEFAULT_MODEL = "sora-2"
const SECONDS = ["4", "8", "12"]
export const EXTENDED_SECONDS = ["4", "8", "12", "16", "20"]
const SORA2_SIZES = ["720x1280", "1280x720"]
const PRO_SIZES = ["720x1280", "1280x720", "1024x1792", "1792x1024", "1080x1920", "1920x1080"]

const sora2: ModelSpec = { seconds: SECONDS, sizes: SORA2_SIZES }
const pro: ModelSpec = { seconds: SECONDS, sizes: PRO_SIZES }

export const defaultModels: ModelTable = {
  "sora-2": sora2,
  "sora-2-2025-10-06": sora2,
  "sora-2-2025-12-08": sora2,
  "sora-2-pro": pro,
  "sora-2-pro-2025-10-06": pro
}

/** The default table with 16/20 s allowed on every Sora model (`--extended-seconds`). */
export const withExtendedSeconds = (table: ModelTable): ModelTable =>
  Object.fromEntries(
    Object.entries(table).map(([name, spec]) => [
      name,
      name.startsWith("sora-2") ? { ...spec, seconds: EXTENDED_SECONDS } : spec
    ])
  )

export const defaultSecondsOf = (spec: ModelSpec): string => spec.defaultSeconds ?? spec.seconds[0] ?? "4"

export const parseSize = (size: string): { readonly width: number; readonly height: number } => {
  const [w, h] = size.split("x").map(Number)
  return { width: w ?? 0, height: h ?? 0 }
}
