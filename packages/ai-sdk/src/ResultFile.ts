/**
 * A finished job's first video, written to its destination: a URL streamed to a `.part` file and
 * renamed (retried on transient errors; an expired link renewed once through a fresh status, else
 * `gone`), base64 decoded a chunk at a time, bytes written as they are. Resolves to the SHA-256.
 */
import type { Experimental_VideoModelV4VideoData as VideoData } from "@ai-sdk/provider"
import type { Errors } from "@longsora/core"
import { Download, Redaction, RetryPolicy } from "@longsora/provider-kit"
import { Effect } from "effect"
import { type CallError, call, classifyCall, HttpAnswer } from "./ProviderCall.ts"

export interface SaveContext {
  readonly retry: RetryPolicy.RetryOptions
  /** The fetch that reaches the provider's result URLs. */
  readonly fetch: typeof fetch
  /** A fresh status's videos, for renewing an expired link. */
  readonly renew: Effect.Effect<ReadonlyArray<VideoData> | undefined, Errors.GenerationError>
  /** The segment's error of `kind`, naming its job. */
  readonly fail: (kind: Errors.GenerationError["kind"], reason: string, fix: string) => Errors.GenerationError
  readonly describe: (cause: unknown) => string
}

/** Streams a URL result to `temp`; a refused link (401/403/404/410) is an `HttpAnswer`. */
const fetchTo = (fetchFn: typeof fetch, url: string, temp: string) =>
  call("download", async (signal) => {
    const response = await fetchFn(url, { signal })
    if (!response.ok || !response.body) {
      await response.body?.cancel()
      throw new HttpAnswer(response.status, response.headers, `the result URL answered ${response.status}`)
    }
    const length = response.headers.get("content-length")
    return Download.streamToPath(response.body, temp, {
      signal,
      expectedBytes: length === null ? undefined : Number(length)
    })
  })

const expired = (error: CallError) => {
  const status = classifyCall(error).status
  return status === 401 || status === 403 || status === 404 || status === 410
}

const writeLocal = (
  destination: string,
  write: (temp: string, signal: AbortSignal) => Promise<string>,
  context: SaveContext
) =>
  Download.atomically(destination, (temp) => call("write", (signal) => write(temp, signal))).pipe(
    Effect.mapError((e) =>
      context.fail(
        "failed",
        `the clip could not be written: ${context.describe(e.cause)}`,
        "Check the output directory."
      )
    )
  )

/** Writes the first of `videos` to `destination`. */
export const save = (videos: ReadonlyArray<VideoData>, destination: string, context: SaveContext) =>
  Effect.gen(function* () {
    const video = videos[0]
    if (!video) return yield* context.fail("failed", "the job finished without a video", "Generate the segment again.")
    if (video.type === "uploaded") {
      return yield* context.fail(
        "failed",
        "the provider delivered the clip to your storage, not to LongSora",
        "Turn off the provider's upload option."
      )
    }
    if (video.type === "base64") {
      return yield* writeLocal(destination, (temp, signal) => Download.base64ToPath(video.data, temp, signal), context)
    }
    if (video.type === "binary") {
      return yield* writeLocal(destination, (temp, signal) => Download.bytesToPath(video.data, temp, signal), context)
    }
    const once = (url: string) =>
      RetryPolicy.retrying(() => Download.atomically(destination, (temp) => fetchTo(context.fetch, url, temp)), {
        policy: context.retry,
        classify: (error) => (expired(error) ? RetryPolicy.notRetryable : classifyCall(error))
      })
    const first = yield* Effect.result(once(video.url))
    if (first._tag === "Success") return first.success
    const what = context.describe(first.failure.cause)
    if (!expired(first.failure)) {
      return yield* context.fail(
        "unavailable",
        `downloading ${Redaction.redactUrl(video.url)} failed: ${what}`,
        "Try again later; the job is recorded and a later run downloads it without paying again."
      )
    }
    // The link expired: a fresh status may carry a fresh link.
    const fresh = (yield* context.renew)?.[0]
    const gone = context.fail(
      "gone",
      `the result URL ${Redaction.redactUrl(video.url)} expired (${what}) and the provider gave no new one`,
      "The clip cannot be fetched any more; start over for this output directory (--restart) to generate it again."
    )
    if (fresh?.type !== "url" || fresh.url === video.url) return yield* gone
    return yield* once(fresh.url).pipe(Effect.mapError(() => gone))
  })

/**
 * `save`, but for a URL result range-first (provider-kit `TailFirst`): returns once the clip's header and last
 * keyframe interval are in the part file (`preview`), with the rest still to fetch (`rest`). Any other result,
 * a server that ignores Range, or a failure of either stage: `save` (its retries, a renewed link).
 */
export const saveEarly = (videos: ReadonlyArray<VideoData>, destination: string, context: SaveContext) => {
  const video = videos[0]
  const whole = Effect.map(save(videos, destination, context), (sha256) => ({
    preview: undefined as string | undefined,
    rest: Effect.succeed(sha256) as Effect.Effect<string, Errors.GenerationError>
  }))
  if (video?.type !== "url") return whole
  const fetchRange = async (range: string, signal: AbortSignal | undefined) => {
    const response = await context.fetch(video.url, { headers: { Range: range }, ...(signal ? { signal } : {}) })
    if (!response.ok) {
      await response.body?.cancel()
      throw new HttpAnswer(response.status, response.headers, `the result URL answered ${response.status}`)
    }
    return response
  }
  return Download.tailFirst(destination, fetchRange, (run) => call("download", run)).pipe(
    Effect.map((staged) => ({
      preview: staged.preview,
      rest: Effect.catch(staged.rest, () => save(videos, destination, context))
    })),
    Effect.catch(() => whole)
  )
}
