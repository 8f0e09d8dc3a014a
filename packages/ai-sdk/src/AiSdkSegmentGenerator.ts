/**
 * core's `SegmentGenerator` over any AI SDK video model. A V4 model's `doStart` is the one billable
 * call: it is sent once (a 429, refused before any work, is waited out; a lost answer is never
 * retried, it is an error saying a job may exist), and its JSON `operation` becomes the job id that
 * core records in the run manifest, so a later run polls it instead of starting again. `complete`
 * polls `doStatus` on the shared budgeted schedule and writes the clip: URL results streamed to a
 * `.part` file and renamed, base64 results decoded a chunk at a time. A V3 model (`doGenerate`
 * only) runs in this process: a job interrupted by a crash cannot be resumed.
 */
import { randomUUID } from "node:crypto"
import type {
  JSONValue,
  Experimental_VideoModelV4VideoData as VideoData,
  Experimental_VideoModelV4 as VideoModelV4,
  Experimental_VideoModelV4CallOptions as VideoModelV4CallOptions
} from "@ai-sdk/provider"
import { Errors, SegmentGenerator } from "@longsora/core"
import { Polling, Redaction, ReferenceImage, RetryPolicy, SpecCheck, Watch } from "@longsora/provider-kit"
import { Clock, Config, Effect, Layer, Option, Redacted } from "effect"
import * as JobId from "./JobId.ts"
import * as ModelResolver from "./ModelResolver.ts"
import * as ProviderCall from "./ProviderCall.ts"
import { call, classifyCall, HttpAnswer } from "./ProviderCall.ts"

export { classify } from "./ProviderCall.ts"

import * as Providers from "./Providers.ts"
import * as ResultFile from "./ResultFile.ts"
import * as SegmentFailures from "./SegmentFailures.ts"
import { MODERATION } from "./SegmentFailures.ts"
import * as VeoExtension from "./VeoExtension.ts"
import * as VideoModels from "./VideoModels.ts"

type SegmentSpec = SegmentGenerator.SegmentSpec
type SegmentJob = SegmentGenerator.SegmentJob

/** Any AI SDK video model: V4 (start/status, resumable) or V3 (`doGenerate`, in-process only). */
export type VideoModel = ModelResolver.VideoModel

export interface Options {
  /** Models beyond the built-in table, or overriding it (keyed by their provider-prefixed id). */
  readonly models?: ReadonlyArray<VideoModels.ModelEntry> | undefined
  /** Model objects you built yourself, by the id requests use, e.g. `{ "google:veo-3.1-generate-preview": google.video(...) }`. */
  readonly videoModels?: Readonly<Record<string, VideoModel>> | undefined
  /** Key and base URL per provider id (`google`, `fal`, …); what is not given is read from env. */
  readonly connections?: Readonly<Record<string, Partial<Providers.Connection>>> | undefined
  readonly polling?: Partial<Polling.PollingOptions> | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
}

/** Status reads are idempotent, so a 429 storm while polling is waited out for longer. */
const POLL_RETRY_FLOOR = 20

const COMMON_RATIOS: ReadonlyArray<readonly [number, number]> = [
  [16, 9],
  [9, 16],
  [1, 1],
  [4, 3],
  [3, 4],
  [21, 9],
  [9, 21],
  [3, 2],
  [2, 3]
]

/** `1280x720` → `16:9`; a size near a common ratio (1366x768) gets that ratio. */
export const aspectRatioOf = (size: string): `${number}:${number}` | undefined => {
  const match = /^(\d+)x(\d+)$/.exec(size)
  if (!match) return undefined
  const ratio = Number(match[1]) / Number(match[2])
  const near = COMMON_RATIOS.find(([w, h]) => Math.abs(w / h / ratio - 1) < 0.02)
  return near ? `${near[0]}:${near[1]}` : (`${match[1]}:${match[2]}` as `${number}:${number}`)
}

type ImageFile = NonNullable<VideoModelV4CallOptions["image"]>

/** An image file as a `data:` URL, for providers that take the last frame in their own options. */
const dataUrl = (file: ImageFile): string =>
  file.type === "url"
    ? file.url
    : `data:${file.mediaType};base64,${typeof file.data === "string" ? file.data : Buffer.from(file.data).toString("base64")}`

/**
 * The call options for one segment, phrased as the model's entry says. The last frame goes as the
 * AI SDK's `frameImages` `last_frame` (which `@ai-sdk/google` sends as Veo's `lastFrame`), or in
 * the provider's own options when the entry's wire hints name the field (fal's apps).
 */
export const callOptions = (
  spec: SegmentSpec,
  entry: VideoModels.ModelEntry,
  providerKey: string,
  image: VideoModelV4CallOptions["image"],
  lastFrame?: ImageFile | undefined
): VideoModelV4CallOptions => {
  const wire: Record<string, JSONValue> = {}
  const lastFrameField = entry.wire?.lastFrame
  if (lastFrame && lastFrameField) wire[lastFrameField] = dataUrl(lastFrame)
  if (entry.wire?.duration === "string") wire.duration = String(spec.seconds)
  if (entry.wire?.duration === "number") wire.duration = spec.seconds
  const height = Math.min(...spec.size.split("x").map(Number))
  if (entry.wire?.resolution === "height-p") wire.resolution = `${height}p`
  if (entry.wire?.resolution === "height-P") wire.resolution = `${height}P`
  return {
    prompt: spec.prompt,
    n: 1,
    aspectRatio: aspectRatioOf(spec.size),
    resolution: spec.size as `${number}x${number}`,
    duration: spec.seconds,
    fps: undefined,
    seed: undefined,
    image,
    frameImages: lastFrame && !lastFrameField ? [{ frameType: "last_frame", image: lastFrame }] : undefined,
    inputReferences: undefined,
    generateAudio: undefined,
    providerOptions: Object.keys(wire).length > 0 ? { [providerKey]: wire } : {}
  }
}

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const models = VideoModels.table(options.models ?? [])
  // An AI SDK status is pending or done, with no progress: polls go at the budget's even pace.
  const polling: Polling.PollingOptions = {
    ...Polling.defaultPollingOptions,
    progressReported: false,
    ...options.polling
  }
  const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
  const pollRetry: RetryPolicy.RetryOptions = { ...retry, maxRetries: Math.max(retry.maxRetries, POLL_RETRY_FLOOR) }
  const { resolve, keys } = ModelResolver.make(options)
  // What each start answered, so the first poll waits instead of asking again at once.
  const started = new Map<string, Watch.Started>()
  // V3 jobs: running in this process only.
  const local = new Map<string, Promise<ReadonlyArray<VideoData>>>()

  const scrub = (text: string) => Redaction.scrub(text, keys())

  const known = () => [...models.keys()]
  const entryOf = (model: string) => models.get(VideoModels.normalizeId(model))

  const capabilities = (model: string) => {
    const entry = entryOf(model)
    return entry
      ? Effect.succeed(VideoModels.capabilitiesOf(entry))
      : Effect.fail(VideoModels.unknownModel(model, known()))
  }

  const readReference = (spec: SegmentSpec, path: string) =>
    Effect.map(ReferenceImage.read(spec.segment, path), ({ bytes, type }) => ({
      type: "file" as const,
      mediaType: type,
      data: new Uint8Array(bytes)
    }))

  const describe = (cause: unknown) => ProviderCall.describe(cause, scrub)
  const { startError, lostStartError, jobError, statusError } = SegmentFailures.make(scrub, describe)

  /**
   * The one billable call, sent once: only a refusal before any work (429) is asked again, a lost
   * answer never is. Its operation becomes the job id core records.
   */
  const startOnce = Effect.fnUntraced(function* (
    spec: SegmentSpec,
    send: (signal: AbortSignal) => PromiseLike<{ readonly operation: JSONValue }>
  ) {
    const sentAt = yield* Clock.currentTimeMillis
    const answer = yield* RetryPolicy.retrying(() => call("doStart", send), {
      policy: retry,
      classify: (error) => {
        const classified = classifyCall(error)
        return classified.ambiguous ? { ...classified, retryable: false } : classified
      }
    }).pipe(Effect.mapError(startError(spec, sentAt)))
    const answeredAt = yield* Clock.currentTimeMillis
    const id = JobId.encode({ model: spec.model, operation: answer.operation })
    started.set(id, { at: answeredAt, progress: 0, createdAt: answeredAt, between: [sentAt, answeredAt] })
    return { segment: spec.segment, id, seconds: spec.seconds } satisfies SegmentJob
  })

  const cannotExtend = (spec: SegmentSpec, reason: string, fix: string) =>
    new Errors.GenerationError({ segment: spec.segment, kind: "rejected", reason, fix })

  /**
   * An extension step (`chain: extend`): the source job's clip URI, read from its finished status
   * (free), then one start sent the way the model's entry says (`wire.extension`).
   */
  const submitExtension = Effect.fnUntraced(function* (
    spec: SegmentSpec,
    extend: NonNullable<SegmentSpec["extend"]>,
    entry: VideoModels.ModelEntry
  ) {
    const source = JobId.decode(extend.jobId)
    if (entry.wire?.extension !== "veo-gemini") {
      return yield* cannotExtend(
        spec,
        `LongSora has no way to send ${spec.model}'s extension`,
        "Declare `wire.extension` for the model, or chain by last frame."
      )
    }
    if (!source || !("operation" in source)) {
      return yield* cannotExtend(spec, "the clip to extend is not a job of this provider", "Start over (--restart).")
    }
    const resolved = yield* resolve(spec.segment, spec.model)
    if (!resolved.direct) {
      return yield* cannotExtend(
        spec,
        `${spec.model} was given as a model object, which LongSora cannot extend through`,
        "Let LongSora load the provider package (give the connection instead of the model object)."
      )
    }
    const sourceJob = { segment: spec.segment - 1, id: extend.jobId, seconds: extend.sourceSeconds }
    const status = yield* RetryPolicy.retrying(
      () => call("doStatus", (signal) => statusOnce(resolved, source.operation, signal)),
      { policy: pollRetry, classify: classifyCall }
    ).pipe(Effect.mapError(statusError(sourceJob)))
    const uri = status.status === "completed" ? VeoExtension.sourceUri(status.providerMetadata) : undefined
    if (uri === undefined) {
      return yield* cannotExtend(
        spec,
        `segment ${spec.segment - 1}'s clip is ${status.status === "completed" ? "not a file Veo can extend" : `still ${status.status}`}`,
        "Run again once it has finished, or start over (--restart)."
      )
    }
    const { direct } = resolved
    return yield* startOnce(spec, (signal) =>
      VeoExtension.start({
        baseURL: direct.baseURL,
        apiKey: direct.connection.apiKey && Redacted.value(direct.connection.apiKey),
        modelId: direct.modelId,
        prompt: spec.prompt,
        sourceUri: uri,
        fetch: resolved.fetch,
        signal
      })
    )
  })

  const submit = Effect.fn("AiSdkSegmentGenerator.submit")(function* (spec: SegmentSpec) {
    const entry = entryOf(spec.model)
    const problem = SpecCheck.check(spec, entry && VideoModels.capabilitiesOf(entry), {
      known: known(),
      declareHint: VideoModels.declareHint
    })
    if (problem || !entry) return yield* Effect.fail(problem!)
    // AI SDK providers cannot list jobs, so a lost start can never be adopted: core passes
    // `lostCreate` only until the user says to start anew (`recreateLost`).
    if (spec.lostCreate !== undefined) return yield* lostStartError(spec, spec.lostCreate.sentAt)
    if (spec.extend !== undefined) return yield* submitExtension(spec, spec.extend, entry)
    const { model, providerKey } = yield* resolve(spec.segment, spec.model)
    const image = spec.reference === undefined ? undefined : yield* readReference(spec, spec.reference)
    const lastFrame = spec.lastFrame === undefined ? undefined : yield* readReference(spec, spec.lastFrame)
    const request = callOptions(spec, entry, providerKey, image, lastFrame)
    if (model.specificationVersion === "v4" && model.doStart && model.doStatus) {
      const doStart = model.doStart.bind(model)
      return yield* startOnce(spec, (signal) => doStart({ ...request, abortSignal: signal }))
    }
    // A V3 model (or a V4 one without start/status): one blocking call, in this process only.
    const generate = model.doGenerate?.bind(model)
    if (!generate) {
      return yield* new Errors.GenerationError({
        segment: spec.segment,
        kind: "rejected",
        reason: `${spec.model} has neither doStart/doStatus nor doGenerate`,
        fix: "Use a video model of the AI SDK (specification v3 or v4)."
      })
    }
    const localId = randomUUID()
    const running = Promise.resolve(generate(request as never)).then(
      (result) => result.videos as ReadonlyArray<VideoData>
    )
    running.catch(() => undefined)
    local.set(localId, running)
    return { segment: spec.segment, id: JobId.encode({ model: spec.model, local: localId }), seconds: spec.seconds }
  })

  /** One status read; a status `error` behind which the probe saw an HTTP error is that HTTP error. */
  const statusOnce = (resolvedModel: ModelResolver.Resolved, operation: JSONValue, signal: AbortSignal) => {
    const model = resolvedModel.model as VideoModelV4
    const callId = randomUUID()
    return Promise.resolve(
      model.doStatus!({ operation, abortSignal: signal, headers: { [Providers.CALL_HEADER]: callId } })
    ).then((status) => {
      const seen = resolvedModel.probe?.get(callId)
      resolvedModel.probe?.delete(callId)
      if (status.status === "error" && seen && seen.status >= 400) {
        throw new HttpAnswer(seen.status, seen.headers, status.error, seen.body)
      }
      return status
    })
  }

  const waitFor = (job: SegmentJob, resolvedModel: ModelResolver.Resolved, operation: JSONValue) => {
    const begun = started.get(job.id)
    started.delete(job.id)
    return Watch.watch({
      job,
      polling,
      started: begun,
      look: (stamp) =>
        RetryPolicy.retrying(
          () =>
            Effect.andThen(
              stamp,
              call("doStatus", (signal) => statusOnce(resolvedModel, operation, signal))
            ),
          { policy: pollRetry, classify: classifyCall }
        ).pipe(
          Effect.mapError(statusError(job)),
          Effect.flatMap((status) => {
            if (status.status === "pending") return Effect.succeed({ status: "pending", progress: 0 })
            if (status.status === "completed") {
              return Effect.succeed({ status: "completed", progress: 100, done: status.videos })
            }
            const moderation = MODERATION.test(status.error)
            return Effect.fail(
              jobError(
                job,
                moderation ? "moderation" : "failed",
                `the job failed: ${status.error}`,
                moderation
                  ? "Rephrase the prompt: no real people, copyrighted characters or music, or adult content."
                  : "Generate the segment again; if it keeps failing, simplify the prompt."
              )
            )
          })
        ),
      timedOut: (last, waitedMs) =>
        jobError(
          job,
          "timeout",
          `the job was still ${last.status} after ${Math.round(waitedMs / 1000)} s`,
          "Raise the poll timeout (LONGSORA_POLL_TIMEOUT_MS), or run again later: the job is recorded and will be polled, not paid again."
        )
    })
  }

  /** Waits for the job: its videos, where to fetch them, and how to renew an expired link. */
  const finished = Effect.fnUntraced(function* (job: SegmentJob) {
    const decoded = JobId.decode(job.id)
    if (!decoded) {
      return yield* jobError(
        job,
        "gone",
        "the job id is not one this provider wrote",
        "Start over for this output directory (--restart)."
      )
    }
    const resolvedModel = yield* resolve(job.segment, decoded.model)
    let videos: ReadonlyArray<VideoData>
    let renew: Effect.Effect<ReadonlyArray<VideoData> | undefined, Errors.GenerationError> = Effect.succeed(undefined)
    if ("local" in decoded) {
      const running = local.get(decoded.local)
      if (!running) {
        return yield* jobError(
          job,
          "gone",
          "the job ran in an earlier process (a V3 model cannot be resumed)",
          "Start over for this output directory (--restart) to generate the segment again."
        )
      }
      videos = yield* call("doGenerate", () => running).pipe(
        Effect.mapError((error) =>
          jobError(job, "failed", `the job failed: ${describe(error.cause)}`, "Generate the segment again.")
        )
      )
      local.delete(decoded.local)
    } else {
      const operation = decoded.operation
      videos = (yield* waitFor(job, resolvedModel, operation)) as ReadonlyArray<VideoData>
      renew = call("doStatus", (signal) => statusOnce(resolvedModel, operation, signal)).pipe(
        Effect.map((status) => (status.status === "completed" ? status.videos : undefined)),
        Effect.orElseSucceed(() => undefined)
      )
    }
    const context: ResultFile.SaveContext = {
      retry,
      fetch: resolvedModel.fetch,
      renew,
      fail: (kind, reason, fix) => jobError(job, kind, reason, fix),
      describe
    }
    return { videos, context }
  })

  const clipOf = (job: SegmentJob, destination: string, sha256: string): SegmentGenerator.GeneratedClip => ({
    segment: job.segment,
    jobId: job.id,
    path: destination,
    seconds: job.seconds,
    sha256
  })

  const complete = Effect.fn("AiSdkSegmentGenerator.complete")(function* (job: SegmentJob, destination: string) {
    const { videos, context } = yield* finished(job)
    return clipOf(job, destination, yield* ResultFile.save(videos, destination, context))
  })

  /** A URL result downloaded range-first: the next segment can start from the preview's last frame. */
  const completeEarly = Effect.fn("AiSdkSegmentGenerator.completeEarly")(function* (
    job: SegmentJob,
    destination: string
  ) {
    const { videos, context } = yield* finished(job)
    const staged = yield* ResultFile.saveEarly(videos, destination, context)
    return {
      preview: staged.preview,
      rest: Effect.map(staged.rest, (sha256) => clipOf(job, destination, sha256))
    } satisfies SegmentGenerator.EarlyClip
  })

  return SegmentGenerator.SegmentGenerator.of({ capabilities, submit, complete, completeEarly })
})

export const pollTimeoutConfig: Config.Config<number | undefined> = Config.Int("LONGSORA_POLL_TIMEOUT_MS").pipe(
  Config.option,
  Config.map(Option.getOrUndefined)
)

/** The generator from explicit options (connections not given are read from env on first use). */
export const layer = (options: Options = {}): Layer.Layer<SegmentGenerator.SegmentGenerator> =>
  Layer.effect(SegmentGenerator.SegmentGenerator, make(options))

/**
 * The generator configured from env as well: `LONGSORA_VIDEO_MODELS(_FILE)`, `LONGSORA_POLL_TIMEOUT_MS`,
 * and each provider's key and base URL when a model of it is first used.
 */
export const layerConfig = (options: Options = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const declared = yield* VideoModels.modelsFromEnv
      const timeoutMs = options.polling?.timeoutMs ?? (yield* pollTimeoutConfig)
      return layer({
        ...options,
        models: [...declared, ...(options.models ?? [])],
        ...(timeoutMs === undefined ? {} : { polling: { ...options.polling, timeoutMs } })
      })
    })
  )
