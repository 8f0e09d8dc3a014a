/**
 * The retry policy of `@longsora/provider-kit` applied to the `openai` SDK's errors. The SDK runs
 * with `maxRetries: 0`: retrying a create blindly could bill twice, so every retry decision is made
 * by `retrying`, where the caller can first look for the job a lost response created.
 */
import { RetryPolicy } from "@longsora/provider-kit"
import { APIConnectionError, APIError, APIUserAbortError } from "openai"

export type { Classified, RetryOptions } from "@longsora/provider-kit/RetryPolicy"

export const { defaultRetryOptions, delayMs, retryAfterMs, retrying } = RetryPolicy

export const classify = (cause: unknown): RetryPolicy.Classified => {
  if (cause instanceof APIUserAbortError) return { ...RetryPolicy.lostAnswer, retryable: false }
  // Connection errors and timeouts: the request may have been processed, the answer was lost.
  if (cause instanceof APIConnectionError) return RetryPolicy.lostAnswer
  if (cause instanceof APIError) {
    return cause.status === undefined
      ? { ...RetryPolicy.lostAnswer, retryable: false }
      : RetryPolicy.classifyStatus(cause.status, cause.headers)
  }
  // Body stream failures (a download cut mid-way) surface as plain TypeErrors from fetch.
  if (cause instanceof Error && RetryPolicy.isNetworkError(cause)) return RetryPolicy.lostAnswer
  return RetryPolicy.notRetryable
}
