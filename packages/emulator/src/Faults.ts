/**
 * Fault injection: a configured budget of faults (`options.faults` / `setFaults`) plus per-request
 * faults named in the `x-emulator-fault` header. Each configured fault with a `count` fires for the
 * next `count` eligible requests and is then spent.
 */

import { defaults } from "./Defaults.ts"
import type { ClipEnding } from "./Renderer.ts"

export interface Faults {
  /** The next `count` API requests get 429 with `retry-after`/`retry-after-ms`. */
  readonly rateLimit?: { readonly count: number; readonly retryAfterMs?: number }
  /** The next `count` API requests get a 5xx (`status`, default 500). */
  readonly serverErrors?: { readonly count: number; readonly status?: number }
  /** The next `count` created jobs end `failed` with `moderation_blocked`. */
  readonly moderation?: { readonly count: number }
  /** The next `count` created jobs stay `queued` forever. */
  readonly stuck?: { readonly count: number }
  /** The next `count` content downloads are cut after `afterBytes` (default 1024). */
  readonly dropDownload?: { readonly count: number; readonly afterBytes?: number }
  /** The next `count` creates make the job, then destroy the socket without answering. */
  readonly loseCreateResponse?: { readonly count: number }
  /** While set, every content download is throttled to `bytesPerSecond`. */
  readonly slowDownload?: { readonly bytesPerSecond: number }
  /** Gemini/fal dialects: the next `count` started jobs fail (an operation `error` / a failed fal request). */
  readonly failOperation?: { readonly count: number }
  /** Gemini/fal dialects: the next `count` started jobs complete with a result URL that has already expired. */
  readonly expireResult?: { readonly count: number }
  /** The next `count` created jobs render a clip whose final half second fades to black, blurs or freezes. */
  readonly clipEnding?: { readonly count: number; readonly kind: ClipEnding }
}

export const FAULT_NAMES = [
  "rate-limit",
  "server-error",
  "moderation",
  "stuck",
  "drop-download",
  "lose-create-response",
  "slow-download",
  "fail-operation",
  "expire-result",
  "end-fade",
  "end-blur",
  "end-freeze"
] as const
export type FaultName = (typeof FAULT_NAMES)[number]

export const HEADER = "x-emulator-fault"
const DEFAULT_RETRY_AFTER_MS = 1000
const DEFAULT_DROP_AFTER = defaults.dropDownloadAfterBytes
const DEFAULT_SLOW_BPS = 256 * 1024

/** Fault names requested by the header; unknown names are ignored. */
export const fromHeader = (value: string | Array<string> | undefined): ReadonlySet<FaultName> => {
  const raw = Array.isArray(value) ? value.join(",") : (value ?? "")
  const names = raw
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s): s is FaultName => (FAULT_NAMES as ReadonlyArray<string>).includes(s))
  return new Set(names)
}

type Counted =
  | "rateLimit"
  | "serverErrors"
  | "moderation"
  | "stuck"
  | "dropDownload"
  | "loseCreateResponse"
  | "failOperation"
  | "expireResult"
  | "clipEnding"

/** Mutable countdowns of the configured faults. */
export class FaultState {
  private config: Faults = {}
  private remaining: Record<Counted, number> = {
    rateLimit: 0,
    serverErrors: 0,
    moderation: 0,
    stuck: 0,
    dropDownload: 0,
    loseCreateResponse: 0,
    failOperation: 0,
    expireResult: 0,
    clipEnding: 0
  }

  constructor(faults: Faults | undefined) {
    this.set(faults ?? {})
  }

  set(faults: Faults): void {
    this.config = faults
    this.remaining = {
      rateLimit: faults.rateLimit?.count ?? 0,
      serverErrors: faults.serverErrors?.count ?? 0,
      moderation: faults.moderation?.count ?? 0,
      stuck: faults.stuck?.count ?? 0,
      dropDownload: faults.dropDownload?.count ?? 0,
      loseCreateResponse: faults.loseCreateResponse?.count ?? 0,
      failOperation: faults.failOperation?.count ?? 0,
      expireResult: faults.expireResult?.count ?? 0,
      clipEnding: faults.clipEnding?.count ?? 0
    }
  }

  /** Spend one unit of a counted fault if configured, or honour the header. */
  private take(key: Counted, name: FaultName, header: ReadonlySet<FaultName>): boolean {
    if (header.has(name)) return true
    if (this.remaining[key] > 0) {
      this.remaining[key]--
      return true
    }
    return false
  }

  rateLimit(header: ReadonlySet<FaultName>): number | undefined {
    return this.take("rateLimit", "rate-limit", header)
      ? (this.config.rateLimit?.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS)
      : undefined
  }

  serverError(header: ReadonlySet<FaultName>): number | undefined {
    return this.take("serverErrors", "server-error", header)
      ? (this.config.serverErrors?.status ?? defaults.serverErrorStatus)
      : undefined
  }

  moderation(header: ReadonlySet<FaultName>): boolean {
    return this.take("moderation", "moderation", header)
  }

  stuck(header: ReadonlySet<FaultName>): boolean {
    return this.take("stuck", "stuck", header)
  }

  loseCreateResponse(header: ReadonlySet<FaultName>): boolean {
    return this.take("loseCreateResponse", "lose-create-response", header)
  }

  failOperation(header: ReadonlySet<FaultName>): boolean {
    return this.take("failOperation", "fail-operation", header)
  }

  expireResult(header: ReadonlySet<FaultName>): boolean {
    return this.take("expireResult", "expire-result", header)
  }

  dropDownload(header: ReadonlySet<FaultName>): number | undefined {
    return this.take("dropDownload", "drop-download", header)
      ? (this.config.dropDownload?.afterBytes ?? DEFAULT_DROP_AFTER)
      : undefined
  }

  /** The flawed ending a created job renders with, if one is asked for (header first). */
  clipEnding(header: ReadonlySet<FaultName>): ClipEnding | undefined {
    const named = (["fade", "blur", "freeze"] as const).find((kind) => header.has(`end-${kind}`))
    if (named) return named
    if (this.remaining.clipEnding > 0 && this.config.clipEnding) {
      this.remaining.clipEnding--
      return this.config.clipEnding.kind
    }
    return undefined
  }

  slowDownload(header: ReadonlySet<FaultName>): number | undefined {
    if (this.config.slowDownload) return this.config.slowDownload.bytesPerSecond
    return header.has("slow-download") ? DEFAULT_SLOW_BPS : undefined
  }
}
