/**
 * Which failures are worth another attempt, how long to wait, and a retry loop that honours the
 * server's `retry-after-ms` / `retry-after`. The SDK runs with `maxRetries: 0`: retrying a create
 * blindly could bill twice, so every retry decision is made here, where the caller can first look
 * for the job a lost response created.
 */

import { Duration, Effect } from "effect"
import { APIConnectionError, APIError, APIUserAbortError } from "openai"

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

const RETRYABLE_STATUS = new Set([408, 409, 429])

/** Parses `retry-after-ms`, then `retry-after` (seconds or an HTTP date), as the SDK does. */
export const retryAfterMs = (headers: Headers | undefined, now: number = Date.now()): number | undefined => {
  if (!headers) return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return value
  }
  const after = headers.get("retry-after")
  if (after !== null && after.trim() !== "") {
    const seconds = Number(after)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    const date = Date.parse(after)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  return undefined
}

export const classify = (cause: unknown): Classified => {
  if (cause instanceof APIUserAbortError) {
    return { retryable: false, ambiguous: true, status: undefined, retryAfterMs: undefined }
  }
  // Connection errors and timeouts: the request may have been processed, the answer was lost.
  if (cause instanceof APIConnectionError) {
    return { retryable: true, ambiguous: true, status: undefined, retryAfterMs: undefined }
  }
  if (cause instanceof APIError) {
    const status = cause.status
    const shouldRetry = cause.headers?.get("x-should-retry")
    const retryable =
      shouldRetry === "true"
        ? true
        : shouldRetry === "false"
          ? false
          : status !== undefined && (RETRYABLE_STATUS.has(status) || status >= 500)
    return {
      retryable,
      // A 429 is refused before any work; a 5xx or 408 may come after the job was made.
      ambiguous: status === undefined || status >= 500 || status === 408,
      status,
      retryAfterMs: retryAfterMs(cause.headers)
    }
  }
  // Body stream failures (a download cut mid-way) surface as plain TypeErrors from fetch.
  if (cause instanceof Error && isNetworkError(cause)) {
    return { retryable: true, ambiguous: true, status: undefined, retryAfterMs: undefined }
  }
  return { retryable: false, ambiguous: false, status: undefined, retryAfterMs: undefined }
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

const isNetworkError = (error: Error): boolean => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true
    if (current.name === "TypeError" && /terminated|fetch failed|network/i.test(current.message)) return true
    if (/premature close|aborted|socket hang up|other side closed/i.test(current.message)) return true
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
