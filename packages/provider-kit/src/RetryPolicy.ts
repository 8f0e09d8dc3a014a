/**
 * Which failures are worth another attempt, how long to wait, and a retry loop that honours the
 * server's `retry-after-ms` / `retry-after`. SDKs run with their own retries off: retrying a create
 * blindly could bill twice, so every retry decision is made here, where the caller knows whether
 * the call was a create (never repeated after an ambiguous failure) or an idempotent read.
 */
import { Duration, Effect } from "effect"

export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly maxRetries: number
  /** First backoff; doubles on each retry. */
  readonly baseDelayMs: number
  /** Cap of the exponential backoff (a server's `retry-after` may ask for longer). */
  readonly maxDelayMs: number
  /** Longest `retry-after` honoured; longer waits are clamped to this. */
  readonly maxRetryAfterMs: number
}

export const defaultRetryOptions: RetryOptions = {
  maxRetries: 6,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000
}

/** What a failed call tells us. `ambiguous`: the request may have reached the server and done its work. */
export interface Classified {
  readonly retryable: boolean
  readonly ambiguous: boolean
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined
}

export const notRetryable: Classified = {
  retryable: false,
  ambiguous: false,
  status: undefined,
  retryAfterMs: undefined
}

/** A lost answer: the request may have been processed (connection reset, timeout, abort). */
export const lostAnswer: Classified = { retryable: true, ambiguous: true, status: undefined, retryAfterMs: undefined }

const RETRYABLE_STATUS = new Set([408, 409, 429])

type HeaderSource = Headers | Readonly<Record<string, string | undefined>> | undefined

const header = (headers: HeaderSource, name: string): string | null => {
  if (!headers) return null
  if (headers instanceof Headers) return headers.get(name)
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  return key === undefined ? null : (headers[key] ?? null)
}

/** Parses `retry-after-ms`, then `retry-after` (seconds or an HTTP date). */
export const retryAfterMs = (headers: HeaderSource, now: number = Date.now()): number | undefined => {
  const ms = header(headers, "retry-after-ms")
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return value
  }
  const after = header(headers, "retry-after")
  if (after !== null && after.trim() !== "") {
    const seconds = Number(after)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    const date = Date.parse(after)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  return undefined
}

/** An HTTP answer: 408/409/429/5xx are worth another try (or what `x-should-retry` says). */
export const classifyStatus = (status: number, headers: HeaderSource): Classified => {
  const shouldRetry = header(headers, "x-should-retry")
  const retryable =
    shouldRetry === "true" ? true : shouldRetry === "false" ? false : RETRYABLE_STATUS.has(status) || status >= 500
  return {
    retryable,
    // A 429 is refused before any work; a 5xx or 408 may come after the job was made.
    ambiguous: status >= 500 || status === 408,
    status,
    retryAfterMs: retryAfterMs(headers)
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ERR_STREAM_PREMATURE_CLOSE"
])

/** Connection failures and streams cut mid-way, as fetch and Node report them. */
export const isNetworkError = (error: Error): boolean => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true
    if (current.name === "TypeError" && /terminated|fetch failed|network/i.test(current.message)) return true
    if (/premature close|aborted|socket hang up|other side closed|cannot connect/i.test(current.message)) return true
    current = current.cause
  }
  return false
}

/** Exponential backoff with up to 25% jitter, capped; never shorter than the server asked for. */
export const delayMs = (
  attempt: number,
  options: RetryOptions,
  retryAfter: number | undefined,
  random: number = Math.random()
): number => {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt)
  const jittered = exponential * (1 - 0.25 * random)
  return retryAfter === undefined ? jittered : Math.min(options.maxRetryAfterMs, Math.max(retryAfter, jittered))
}

/**
 * Runs `attempt` until it succeeds, fails with something not retryable, or retries run out.
 * `beforeRetry` runs before each retry and may end the loop with a value (used by create to take
 * over a job whose response was lost instead of creating a second one).
 */
export const retrying = <A, E>(
  attempt: (n: number) => Effect.Effect<A, E>,
  options: {
    readonly policy: RetryOptions
    readonly classify: (error: E) => Classified
    readonly beforeRetry?: (error: E, classified: Classified) => Effect.Effect<A | undefined, E>
  }
): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    for (let n = 0; ; n++) {
      const result = yield* Effect.result(attempt(n))
      if (result._tag === "Success") return result.success
      const error = result.failure
      const classified = options.classify(error)
      if (!classified.retryable || n >= options.policy.maxRetries) return yield* Effect.fail(error)
      yield* Effect.sleep(Duration.millis(delayMs(n, options.policy, classified.retryAfterMs)))
      if (options.beforeRetry) {
        const recovered = yield* options.beforeRetry(error, classified)
        if (recovered !== undefined) return recovered
      }
    }
  })
