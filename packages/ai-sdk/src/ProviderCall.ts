/**
 * One call into an AI SDK provider package, and what its failure means: the status and headers
 * behind it (`APICallError`, or an HTTP error the package turned into a status answer, seen through
 * the probing fetch), whether another try is safe, and its description with keys and URLs scrubbed.
 */
import { APICallError } from "@ai-sdk/provider"
import { RetryPolicy } from "@longsora/provider-kit"
import { Data, Effect } from "effect"

/** A failed provider call, kept internal to the package: it becomes a `GenerationError` before reaching core. */
export class CallError extends Data.TaggedError("CallError")<{ readonly op: string; readonly cause: unknown }> {}

/** An HTTP error the provider package turned into a status answer (fal does), seen through the probe. */
export class HttpAnswer extends Error {
  readonly status: number
  readonly headers: Headers
  /** The start of the answer's body, when it was kept: the provider's own reason. */
  readonly body: string | undefined
  constructor(status: number, headers: Headers, message: string, body?: string) {
    super(message)
    this.status = status
    this.headers = headers
    this.body = body
  }
}

export const call = <A>(op: string, run: (signal: AbortSignal) => PromiseLike<A>): Effect.Effect<A, CallError> =>
  Effect.tryPromise({ try: (signal) => Promise.resolve(run(signal)), catch: (cause) => new CallError({ op, cause }) })

/** What a failed AI SDK call says about retrying (`APICallError` carries the status and headers). */
export const classify = (cause: unknown): RetryPolicy.Classified => {
  if (cause instanceof HttpAnswer) return RetryPolicy.classifyStatus(cause.status, cause.headers)
  if (APICallError.isInstance(cause)) {
    if (cause.statusCode !== undefined) return RetryPolicy.classifyStatus(cause.statusCode, cause.responseHeaders)
    // No status: the request never got an answer ("Cannot connect to API", reset, timeout).
    return cause.isRetryable ? RetryPolicy.lostAnswer : { ...RetryPolicy.lostAnswer, retryable: false }
  }
  if (cause instanceof Error && (cause.name === "AbortError" || cause.name === "TimeoutError")) {
    return { ...RetryPolicy.lostAnswer, retryable: cause.name === "TimeoutError" }
  }
  if (cause instanceof Error && RetryPolicy.isNetworkError(cause)) return RetryPolicy.lostAnswer
  return RetryPolicy.notRetryable
}

export const classifyCall = (error: CallError) => classify(error.cause)
/** How much of an error answer's body is kept: enough for the provider's reason, not a whole page. */
export const ERROR_BODY_CHARS = 300

/** ` <the start of the answer>`, or nothing without one. */
const bodyStart = (body: string | undefined) => (body ? ` ${body.slice(0, ERROR_BODY_CHARS)}` : "")

/** The failure in words, keys and URL credentials scrubbed, with the start of the provider's answer. */
export const describe = (cause: unknown, scrub: (text: string) => string): string => {
  if (APICallError.isInstance(cause)) {
    const status = cause.statusCode !== undefined ? `HTTP ${cause.statusCode}: ` : ""
    return scrub(`${status}${cause.message}${bodyStart(cause.responseBody)}`)
  }
  if (cause instanceof HttpAnswer) return scrub(`HTTP ${cause.status}: ${cause.message}${bodyStart(cause.body)}`)
  return cause instanceof Error ? scrub(`${cause.name}: ${cause.message}`) : "unknown error"
}
