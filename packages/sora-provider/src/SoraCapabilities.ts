/**
 * What each video model takes, as core `ProviderCapabilities`: the Sora 2 table from the published
 * contract, plus a helper to declare models an OpenAI-compatible gateway serves (Veo, Wan, Kling, …).
 */
import type { Capabilities } from "@longsora/core"

type ProviderCapabilities = Capabilities.ProviderCapabilities

/** Sora's prompt limit (`prompt`: 1..32000 chars). */
export const SORA_MAX_PROMPT_LENGTH = 32_000

/** Concurrent jobs per key; above ~2 running jobs gateways answered 429 "Too many running tasks". */
export const SORA_MAX_CONCURRENT_JOBS = 2

const soraLengths: Capabilities.ClipLengthSet = { _tag: "ClipLengthSet", seconds: [4, 8, 12] }

/**
 * `POST /v1/videos/extensions`: +4 to 20 s a step, at most 6 steps and 120 s in all; the answer's
 * video is the stitched whole (openai-videos-api.md §2.10, the OpenAPI file's `CreateVideoExtend…`).
 */
export const soraExtension: Capabilities.Extension = {
  clipLengths: { _tag: "ClipLengthSet", seconds: [4, 8, 12, 16, 20] },
  maxExtensions: 6,
  maxTotalSeconds: 120,
  returns: "stitched"
}

export const sora2 = (model = "sora-2"): ProviderCapabilities => ({
  model,
  clipLengths: soraLengths,
  sizes: [
    { size: "1280x720", usdPerSecond: 0.1 },
    { size: "720x1280", usdPerSecond: 0.1 }
  ],
  firstFrameImage: true,
  extension: soraExtension,
  maxPromptLength: SORA_MAX_PROMPT_LENGTH,
  maxConcurrentJobs: SORA_MAX_CONCURRENT_JOBS
})

export const sora2Pro = (model = "sora-2-pro"): ProviderCapabilities => ({
  model,
  clipLengths: soraLengths,
  sizes: [
    { size: "1280x720", usdPerSecond: 0.3 },
    { size: "720x1280", usdPerSecond: 0.3 },
    { size: "1792x1024", usdPerSecond: 0.5 },
    { size: "1024x1792", usdPerSecond: 0.5 },
    { size: "1920x1080", usdPerSecond: 0.7 },
    { size: "1080x1920", usdPerSecond: 0.7 }
  ],
  firstFrameImage: true,
  extension: soraExtension,
  maxPromptLength: SORA_MAX_PROMPT_LENGTH,
  maxConcurrentJobs: SORA_MAX_CONCURRENT_JOBS
})

/** The built-in models, including the dated snapshots the aliases point to. */
export const builtIn: ReadonlyArray<ProviderCapabilities> = [
  sora2(),
  sora2("sora-2-2025-10-06"),
  sora2("sora-2-2025-12-08"),
  sora2Pro(),
  sora2Pro("sora-2-pro-2025-10-06")
]

export interface GatewayModel {
  readonly model: string
  /** An explicit set of clip lengths (`[5, 10]`) or a range (`{ min: 4, max: 15, step: 1 }`). */
  readonly clipLengths: ReadonlyArray<number> | { readonly min: number; readonly max: number; readonly step?: number }
  /** `WxH` sizes with their price per second; the first is the default. */
  readonly sizes: ReadonlyArray<{ readonly size: string; readonly usdPerSecond?: number }>
  readonly firstFrameImage?: boolean
  /** Whether the gateway takes a last-frame image for this model (how is not in the OpenAI contract). */
  readonly lastFrameImage?: boolean
  /** Whether and how the gateway extends this model's clips through `/v1/videos/extensions`. */
  readonly extension?: Capabilities.Extension
  readonly maxPromptLength?: number
  readonly maxConcurrentJobs?: number
}

/**
 * Declares a model served through an OpenAI-compatible `/v1/videos` gateway, e.g.
 * `gatewayModel({ model: "veo-3.1", clipLengths: [4, 6, 8], sizes: [{ size: "1280x720" }] })`.
 */
export const gatewayModel = (declared: GatewayModel): ProviderCapabilities => {
  const [first, ...rest] = declared.sizes.map(({ size, usdPerSecond }) => ({ size, usdPerSecond: usdPerSecond ?? 0 }))
  if (!first) throw new Error(`gatewayModel(${declared.model}): declare at least one size`)
  const lengths = declared.clipLengths
  const clipLengths: Capabilities.ClipLengths = Array.isArray(lengths)
    ? { _tag: "ClipLengthSet", seconds: nonEmpty(lengths, declared.model) }
    : {
        _tag: "ClipLengthRange",
        min: (lengths as { min: number }).min,
        max: (lengths as { max: number }).max,
        step: (lengths as { step?: number }).step ?? 1
      }
  return {
    model: declared.model,
    clipLengths,
    sizes: [first, ...rest],
    firstFrameImage: declared.firstFrameImage ?? true,
    ...(declared.lastFrameImage ? { lastFrameImage: true } : {}),
    ...(declared.extension ? { extension: declared.extension } : {}),
    maxPromptLength: declared.maxPromptLength ?? 2_000,
    maxConcurrentJobs: declared.maxConcurrentJobs ?? 2
  }
}

const nonEmpty = (values: ReadonlyArray<number>, model: string): readonly [number, ...Array<number>] => {
  const [head, ...tail] = values
  if (head === undefined) throw new Error(`gatewayModel(${model}): declare at least one clip length`)
  return [head, ...tail]
}

/** The model table: declared models override built-ins of the same name. */
export const table = (
  declared: ReadonlyArray<ProviderCapabilities> = []
): ReadonlyMap<string, ProviderCapabilities> => {
  const map = new Map<string, ProviderCapabilities>()
  for (const caps of builtIn) map.set(caps.model, caps)
  for (const caps of declared) map.set(caps.model, caps)
  return map
}
