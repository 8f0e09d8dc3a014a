/**
 * Every way a segment fails in this provider, as core's `GenerationError` with the fix: a start
 * refused (nothing billed) or lost (a job may exist; never started again), a status read that failed
 * after its retries (404/410: the provider no longer knows the job, `gone`), a job that failed.
 * Every text is scrubbed of keys and URL credentials.
 */
import { Errors, type SegmentGenerator } from "@longsora/core"
import { type CallError, classifyCall } from "./ProviderCall.ts"

type SegmentSpec = SegmentGenerator.SegmentSpec
type SegmentJob = SegmentGenerator.SegmentJob

/** Words providers use when a clip is withheld for its content. */
export const MODERATION = /moderat|safety|filtered|blocked|nsfw|responsible ai|policy/i

/**
 * Veo's safety filter ends the operation done, with no samples (and `raiMediaFilteredReasons`, which the AI SDK's
 * Google and Vertex providers drop before they throw this): a clip withheld, not a job that could not be read.
 */
const WITHHELD_BY_VEO = /(GOOGLE|VERTEX)_VIDEO_GENERATION_ERROR: No videos in response/

export const make = (scrub: (text: string) => string, describe: (cause: unknown) => string) => {
  /** A start that failed: refused (nothing billed), or lost (a job may exist; never retried). */
  const startError = (spec: SegmentSpec, sentAt: number) => (error: CallError) => {
    const classified = classifyCall(error)
    const what = describe(error.cause)
    if (classified.ambiguous) {
      return new Errors.GenerationError({
        segment: spec.segment,
        kind: "unavailable",
        reason: `${spec.model} start got no usable answer (${what}); a job may have been created and billed`,
        fix:
          `LongSora does not start it again on its own (that could pay twice). Look in the provider's console for a job started at ${new Date(sentAt).toISOString()}. ` +
          "If there is none, run again with --recreate-lost (SDK: recreateLost: true) to start it anew."
      })
    }
    const status = classified.status
    return new Errors.GenerationError({
      segment: spec.segment,
      kind: classified.retryable ? "unavailable" : "rejected",
      reason: `${spec.model} refused the start (${what})`,
      fix:
        status === 401 || status === 403
          ? "Check the provider's key (and that it may use this model)."
          : classified.retryable
            ? "Try again later; the provider refused before starting anything, so nothing was billed."
            : "Fix the request as the provider says; nothing was billed."
    })
  }

  const lostStartError = (spec: SegmentSpec, notBefore: number) =>
    new Errors.GenerationError({
      segment: spec.segment,
      kind: "unavailable",
      reason: `an earlier run sent segment ${spec.segment}'s start at ${new Date(notBefore).toISOString()} and never learnt its answer; a job may exist and be billed`,
      fix:
        "AI SDK providers cannot list jobs, so LongSora cannot adopt it. Look in the provider's console; if there is no such job, " +
        "run again with --recreate-lost (SDK: recreateLost: true) to start it anew."
    })

  const jobError = (
    job: SegmentJob,
    kind: Errors.GenerationError["kind"],
    reason: string,
    fix: string,
    cause?: unknown
  ) =>
    new Errors.GenerationError({
      segment: job.segment,
      jobId: job.id,
      kind,
      reason: scrub(reason),
      fix,
      ...(cause === undefined ? {} : { cause: scrub(String(cause)) })
    })

  /** A failed status read, after its retries. 404/410: the provider no longer knows the job. */
  const statusError = (job: SegmentJob) => (error: CallError) => {
    const classified = classifyCall(error)
    const what = describe(error.cause)
    if (classified.status === 404 || classified.status === 410) {
      return jobError(
        job,
        "gone",
        `the provider no longer knows the job (${what})`,
        "It cannot be resumed; start over for this output directory (--restart) to generate the segment again."
      )
    }
    if (WITHHELD_BY_VEO.test(what)) {
      return jobError(
        job,
        "moderation",
        "the provider answered without a video, as Veo does when its safety filter withholds the clip (its reasons do not reach LongSora)",
        "Rephrase the segment's prompt; the same prompt is likely withheld again."
      )
    }
    if (!classified.retryable && !classified.ambiguous && !MODERATION.test(what)) {
      return jobError(job, "failed", `the job could not be read: ${what}`, "Generate the segment again.")
    }
    if (MODERATION.test(what)) {
      return jobError(job, "moderation", `the provider withheld the clip: ${what}`, "Rephrase the prompt.")
    }
    return jobError(
      job,
      "unavailable",
      `polling the job failed: ${what}`,
      "Try again later; the job exists and a later run polls it instead of paying again."
    )
  }

  return { startError, lostStartError, jobError, statusError } as const
}
