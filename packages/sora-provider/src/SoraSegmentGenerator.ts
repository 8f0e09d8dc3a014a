/**
 * core's `SegmentGenerator` over the official `openai` SDK's Videos resource (Sora 2, or any model an
 * OpenAI-compatible gateway serves). `submit` is the one billable create and never creates twice for
 * one call; `complete` polls adaptively, then streams the MP4 to a temp file and renames it, and can
 * be called again for the same job after an interruption.
 */
import { basename } from "node:path"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { Capabilities, Errors, SegmentGenerator } from "@longsora/core"
import { OpenAiClient, RetryPolicy } from "@longsora/openai-client"
import { Download, Polling, ReferenceImage, SpecCheck, type TailFirst, Watch } from "@longsora/provider-kit"
import { Clock, Config, Data, Effect, Layer, Option, Schema } from "effect"
import type OpenAI from "openai"
import { APIError, toFile } from "openai"
import * as JobRecovery from "./JobRecovery.ts"
import * as Refusal from "./Refusal.ts"
import * as SoraCapabilities from "./SoraCapabilities.ts"

type Video = OpenAI.Videos.Video
type ProviderCapabilities = Capabilities.ProviderCapabilities
type SegmentSpec = SegmentGenerator.SegmentSpec
type SegmentJob = SegmentGenerator.SegmentJob

export interface Options {
  /** Models served by your endpoint beyond Sora 2 (or overriding its table), see `gatewayModel`. */
  readonly models?: ReadonlyArray<ProviderCapabilities> | undefined
  readonly polling?: Partial<Polling.PollingOptions> | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
  readonly recovery?: Partial<JobRecovery.RecoveryOptions> | undefined
}

/** A failed SDK call, kept internal: it becomes a `GenerationError` before leaving this module. */
class CallError extends Data.TaggedError("CallError")<{ readonly op: string; readonly cause: unknown }> {}

/** More than one job could be the one a lost create made; kept internal like `CallError`. */
class AmbiguousCreate extends Data.TaggedError("AmbiguousCreate")<{ readonly candidates: ReadonlyArray<Video> }> {}

const notRetryable: RetryPolicy.Classified = {
  retryable: false,
  ambiguous: false,
  status: undefined,
  retryAfterMs: undefined
}

const call = <A>(op: string, run: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, CallError> =>
  Effect.tryPromise({ try: run, catch: (cause) => new CallError({ op, cause }) })

const classifyCall = (error: CallError) => RetryPolicy.classify(error.cause)

/** Poll reads are idempotent, so a 429 storm while polling is waited out for longer. */
const POLL_RETRY_FLOOR = 20

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const { client, apiKey } = yield* OpenAiClient.OpenAiClient
  const models = SoraCapabilities.table(options.models ?? [])
  const polling: Polling.PollingOptions = { ...Polling.defaultPollingOptions, ...options.polling }
  const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
  const pollRetry: RetryPolicy.RetryOptions = { ...retry, maxRetries: Math.max(retry.maxRetries, POLL_RETRY_FLOOR) }
  const recovery: JobRecovery.RecoveryOptions = { ...JobRecovery.defaultRecoveryOptions, ...options.recovery }
  // Whether the server sends poll hints, and how long its renders take: shared by this generator's jobs.
  const watchMemory = Watch.memory()
  // Jobs this generator created or took over; recovery never hands one job to two submits.
  const owned = new Set<string>()
  // What each create answered, so the first poll can wait instead of asking again at once.
  const createdJobs = new Map<
    string,
    Polling.Observation & {
      readonly createdAt: number
      /** The create request's send and answer, when the job came from it (not from recovery). */
      readonly between: readonly [number, number] | undefined
    }
  >()
  const scrub = (text: string) => OpenAiClient.scrub(text, apiKey)
  // How long after its first send a create can still make a job: each attempt's timeout, and the
  // waits between attempts.
  const createWindowMs = (retry.maxRetries + 1) * (client.timeout + retry.maxRetryAfterMs)

  const lookup = (model: string) => Option.fromUndefinedOr(models.get(model))

  const capabilities = (model: string) =>
    Option.match(lookup(model), {
      onNone: () => Effect.fail(new Errors.UnknownModel({ model, known: [...models.keys()] })),
      onSome: Effect.succeed
    })

  const rejected = (spec: SegmentSpec, reason: string, fix: string) =>
    new Errors.GenerationError({ segment: spec.segment, kind: "rejected", reason, fix })

  /** Checks the spec against the model's capabilities: a mistake here costs nothing yet. */
  const validate = (spec: SegmentSpec): Effect.Effect<ProviderCapabilities, Errors.GenerationError> => {
    const caps = models.get(spec.model)
    const problem = SpecCheck.check(spec, caps, {
      known: [...models.keys()],
      declareHint: "declare the model with layer({ models: [gatewayModel(...)] })"
    })
    return problem || !caps ? Effect.fail(problem!) : Effect.succeed(caps)
  }

  const readReference = Effect.fnUntraced(function* (spec: SegmentSpec, path: string) {
    const { bytes, type } = yield* ReferenceImage.read(spec.segment, path)
    const dims = ReferenceImage.dimensions(bytes, type)
    if (dims && `${dims.width}x${dims.height}` !== spec.size) {
      return yield* rejected(
        spec,
        `the reference is ${dims.width}x${dims.height} but the video is ${spec.size}`,
        `Resize or crop the reference to exactly ${spec.size}.`
      )
    }
    return yield* Effect.promise(() => toFile(bytes, basename(path), { type }))
  })

  /** Turns a failed call into a typed error that says what to change. */
  const toGenerationError =
    (spec: Pick<SegmentSpec, "segment" | "model" | "size" | "seconds">, jobId?: string) =>
    (error: CallError): Errors.GenerationError => {
      const cause = error.cause
      const job = jobId === undefined ? {} : { jobId }
      const classified = RetryPolicy.classify(cause)
      if (cause instanceof APIError && cause.status !== undefined && !classified.retryable) {
        const inner = (cause.error ?? {}) as { message?: unknown; param?: unknown; code?: unknown }
        const message = scrub(typeof inner.message === "string" ? inner.message : cause.message)
        if (cause.status === 404 && jobId !== undefined) {
          // The job was accepted earlier: a 404 now means the server forgot it (restarted, purged)
          // or its content expired. Polling again cannot help; only a new create can.
          return new Errors.GenerationError({
            segment: spec.segment,
            jobId,
            kind: "gone",
            reason: `the server no longer has job ${jobId} (${error.op} answered 404: ${message})`,
            fix: "The segment must be created again, which is billed again; a rerun does that once and says so."
          })
        }
        const detail = {
          status: cause.status,
          code: inner.code ?? null,
          param: inner.param ?? null,
          requestID: cause.requestID ?? null
        }
        const kindAndFix = Refusal.explain(cause.status, message, inner.param, spec, models.get(spec.model))
        return new Errors.GenerationError({
          segment: spec.segment,
          ...job,
          kind: kindAndFix.kind,
          reason: `${error.op} answered ${cause.status}: ${message}`,
          fix: kindAndFix.fix,
          cause: detail
        })
      }
      const what = classified.status !== undefined ? `HTTP ${classified.status}` : describeCause(cause, scrub)
      return new Errors.GenerationError({
        segment: spec.segment,
        ...job,
        kind: classified.retryable ? "unavailable" : "failed",
        reason: `${error.op} failed: ${what}`,
        fix:
          jobId === undefined
            ? "Try again later; the provider did not confirm a job, so nothing was billed for it."
            : `Try again later; job ${jobId} exists and a later run can resume it instead of paying again.`
      })
    }

  const listRecent = call("videos.list", (signal) =>
    client.videos.list({ order: "desc", limit: recovery.listLimit }, { signal })
  ).pipe(
    Effect.map((page) => page.data),
    (effect) => RetryPolicy.retrying(() => effect, { policy: retry, classify: classifyCall })
  )

  /** The job a lost create made, taken over so the retry does not pay again; fails when unsure. */
  const findCreated = (request: JobRecovery.CreateRequest) =>
    listRecent.pipe(
      Effect.flatMap((recent): Effect.Effect<Video | undefined, CallError | AmbiguousCreate> => {
        const found = JobRecovery.pickCreated(recent, request, owned, recovery)
        if (found._tag === "Ambiguous") return Effect.fail(new AmbiguousCreate({ candidates: found.candidates }))
        if (found._tag === "None") return Effect.succeed(undefined)
        owned.add(found.video.id)
        return Effect.as(Effect.logInfo(`took over job ${found.video.id} whose create response was lost`), found.video)
      })
    )

  const classifyCreate = (error: CallError | AmbiguousCreate): RetryPolicy.Classified =>
    error._tag === "AmbiguousCreate" ? notRetryable : classifyCall(error)

  /** Turns a failed create into a typed error; an unprovable adoption lists what it found. */
  const createError = (spec: SegmentSpec) => (error: CallError | AmbiguousCreate) =>
    error._tag === "AmbiguousCreate"
      ? new Errors.GenerationError({
          segment: spec.segment,
          kind: "rejected",
          reason:
            `an earlier create's answer was lost, and ${error.candidates.length} jobs on the server match it ` +
            `(${error.candidates.map((video) => `${video.id} created ${new Date(video.created_at * 1000).toISOString()}`).join(", ")}); ` +
            "LongSora cannot tell which one, if any, this run paid for, so it adopts none.",
          fix:
            "If one of them is yours, you may download it yourself; to create a new job for this segment " +
            "(billed again), run again with --recreate-lost (SDK: recreateLost: true)."
        })
      : toGenerationError(spec)(error)

  const submit = Effect.fn("SoraSegmentGenerator.submit")(function* (spec: SegmentSpec) {
    yield* validate(spec)
    const reference = spec.reference === undefined ? undefined : yield* readReference(spec, spec.reference)
    // The wire type is a string; gateway models (and extensions: 16, 20) take lengths outside the SDK's union.
    const seconds = String(spec.seconds) as OpenAI.Videos.VideoSeconds
    const extend = spec.extend
    const send = extend
      ? (signal: AbortSignal) =>
          client.videos.extend({ prompt: spec.prompt, seconds, video: { id: extend.jobId } }, { signal })
      : (signal: AbortSignal) =>
          client.videos.create(
            {
              prompt: spec.prompt,
              model: spec.model,
              seconds,
              size: spec.size as OpenAI.Videos.VideoSize,
              ...(reference ? { input_reference: reference } : {})
            },
            { signal }
          )
    // `lostCreate`: an earlier run sent this create then and never learnt the answer.
    const lost = spec.lostCreate
    const sent = lost?.sentAt ?? (yield* Clock.currentTimeMillis)
    const request: JobRecovery.CreateRequest = {
      prompt: spec.prompt,
      model: spec.model,
      // An extension's job answers the stitched total.
      seconds: String(spec.seconds + (extend?.sourceSeconds ?? 0)),
      size: spec.size,
      startedAt: Math.floor(sent / 1000),
      // Every attempt of that create ended within its timeout (and the retries' waits).
      until: Math.ceil((sent + createWindowMs) / 1000),
      isOwned: lost?.isOwned
    }
    if (lost !== undefined) {
      const adopted = yield* findCreated(request).pipe(Effect.mapError(createError(spec)))
      if (adopted) return { segment: spec.segment, id: adopted.id, seconds: jobSeconds(spec, adopted) }
    }
    // When the create that answered was sent, and what it answered: the job was made in between.
    let sentAt: number | undefined
    let answered: Video | undefined
    const create = RetryPolicy.retrying<Video, CallError | AmbiguousCreate>(
      () =>
        Effect.gen(function* () {
          sentAt = yield* Clock.currentTimeMillis
          answered = yield* call(extend ? "videos.extend" : "videos.create", send)
          return answered
        }),
      {
        policy: retry,
        classify: classifyCreate,
        beforeRetry: (_error, classified) => (classified.ambiguous ? findCreated(request) : Effect.succeed(undefined))
      }
    ).pipe(
      // Out of retries after an ambiguous failure: the job may still exist; look once more.
      Effect.catch((error) =>
        classifyCreate(error).ambiguous
          ? findCreated(request).pipe(
              Effect.catchTag("CallError", () => Effect.succeed(undefined)),
              Effect.flatMap((found) => (found ? Effect.succeed(found) : Effect.fail(error)))
            )
          : Effect.fail(error)
      ),
      Effect.mapError(createError(spec))
    )
    const video = yield* create
    owned.add(video.id)
    if (video.status === "failed") return yield* failedJob(spec.segment, video)
    const answeredAt = yield* Clock.currentTimeMillis
    createdJobs.set(video.id, {
      at: answeredAt,
      progress: video.progress ?? 0,
      createdAt: Math.min(answeredAt, video.created_at * 1000),
      between: video === answered && sentAt !== undefined ? [sentAt, answeredAt] : undefined
    })
    return { segment: spec.segment, id: video.id, seconds: jobSeconds(spec, video) } satisfies SegmentJob
  })

  const failedJob = (segment: number, video: Video) => {
    const code = video.error?.code ?? "failed"
    const message = scrub(video.error?.message ?? "the provider gave no reason")
    const moderation = /moderation/i.test(code)
    return Effect.fail(
      new Errors.GenerationError({
        segment,
        jobId: video.id,
        kind: moderation ? "moderation" : "failed",
        reason: `job ${video.id} failed (${code}): ${message}`,
        fix: moderation
          ? "Rephrase the prompt: no real people, copyrighted characters or music, or adult content; a reference must show no faces."
          : "Generate the segment again; if it keeps failing, simplify the prompt."
      })
    )
  }

  /** Polls until the job finishes, at adaptive intervals (see `Polling`). */
  const waitFor = (job: SegmentJob) => {
    const spec = { segment: job.segment, model: "", size: "", seconds: job.seconds }
    // A job this generator just created: its create answer is the first observation, so the first
    // poll waits for the planned delay. A job taken over from elsewhere is looked at at once.
    const started = createdJobs.get(job.id)
    createdJobs.delete(job.id)
    return Watch.watch({
      job,
      polling,
      started,
      memory: watchMemory,
      look: (stamp) =>
        RetryPolicy.retrying(
          () =>
            Effect.andThen(
              stamp,
              call("videos.retrieve", (signal) => client.videos.retrieve(job.id, { signal }).withResponse())
            ),
          { policy: pollRetry, classify: classifyCall }
        ).pipe(
          Effect.mapError(toGenerationError(spec, job.id)),
          Effect.flatMap(({ data: video, response }) => {
            const look = {
              status: video.status,
              progress: video.progress ?? 0,
              createdAt: video.created_at * 1000,
              done: video.status === "completed" ? video : undefined,
              pollAfterMs: pollAfter(response.headers)
            }
            if (video.status === "failed") return failedJob(job.segment, video)
            if (isTerminal(video.status)) {
              return Effect.fail(
                new Errors.GenerationError({
                  segment: job.segment,
                  jobId: job.id,
                  kind: "failed",
                  reason: `job ${job.id} ended ${video.status}`,
                  fix: "Generate the segment again."
                })
              )
            }
            return Effect.succeed(look)
          })
        ),
      timedOut: (last) =>
        new Errors.GenerationError({
          segment: job.segment,
          jobId: job.id,
          kind: "timeout",
          reason: `job ${job.id} was still ${last.status} (${last.progress}%) after ${Math.round(polling.timeoutMs / 1000)} s`,
          fix: `Raise the poll timeout, or resume job ${job.id} later; it may still finish and is billed either way.`
        })
    })
  }

  /** Streams the clip to a `.part` file beside `destination`, then renames it into place. */
  const download = (job: SegmentJob, destination: string) => {
    const spec = { segment: job.segment, model: "", size: "", seconds: job.seconds }
    const once = Download.atomically(destination, (temp) =>
      call("videos.downloadContent", async (signal) => {
        const response = await client.videos.downloadContent(job.id, { variant: "video" }, { signal })
        if (!response.body) throw new Error("the content response has no body")
        // Streamed straight to disk: a clip is never held in memory whole.
        return Download.streamToPath(response.body as WebReadableStream<Uint8Array>, temp, {
          signal,
          expectedBytes: Number(response.headers.get("content-length") ?? Number.NaN)
        })
      })
    )
    return RetryPolicy.retrying(() => once, {
      policy: retry,
      // A 404 right after completion means "not ready yet" on some servers: worth a retry. Content
      // that has expired will not come back.
      classify: (error) => {
        const classified = classifyCall(error)
        return classified.status === 404 && !isExpired(error.cause) ? { ...classified, retryable: true } : classified
      }
    }).pipe(Effect.mapError(toGenerationError(spec, job.id)))
  }

  /**
   * The clip's header and last keyframe interval first (HTTP Range), the rest in `rest`; a server that ignores
   * Range, or a file the reader does not follow, is downloaded whole. Should the early stage fail, or the rest,
   * the plain download (with its retries) takes over.
   */
  const downloadTailFirst = (job: SegmentJob, destination: string) => {
    const fetchRange: TailFirst.FetchRange = (range, signal) =>
      client.videos.downloadContent(job.id, { variant: "video" }, { signal, headers: { Range: range } })
    const plain = download(job, destination)
    return Download.tailFirst(destination, fetchRange, (run) => call("videos.downloadContent", run)).pipe(
      Effect.map((staged) => ({ preview: staged.preview, rest: Effect.catch(staged.rest, () => plain) })),
      Effect.catch(() => Effect.map(plain, (sha256) => ({ preview: undefined, rest: Effect.succeed(sha256) })))
    )
  }

  const clipOf = (job: SegmentJob, destination: string, video: Video, sha256: string) => {
    const clip: SegmentGenerator.GeneratedClip = {
      segment: job.segment,
      jobId: job.id,
      path: destination,
      seconds: Number(video.seconds) || job.seconds
    }
    // `sha256` is read by newer core (resume checks); older core ignores it.
    return { ...clip, sha256 }
  }

  const complete = Effect.fn("SoraSegmentGenerator.complete")(function* (job: SegmentJob, destination: string) {
    owned.add(job.id)
    const video = yield* waitFor(job)
    return clipOf(job, destination, video, yield* download(job, destination))
  })

  const completeEarly = Effect.fn("SoraSegmentGenerator.completeEarly")(function* (
    job: SegmentJob,
    destination: string
  ) {
    owned.add(job.id)
    const video = yield* waitFor(job)
    const staged = yield* downloadTailFirst(job, destination)
    return {
      preview: staged.preview,
      rest: Effect.map(staged.rest, (sha256) => clipOf(job, destination, video, sha256))
    } satisfies SegmentGenerator.EarlyClip
  })

  return SegmentGenerator.SegmentGenerator.of({ capabilities, submit, complete, completeEarly })
})

/** The wait the server asks for (`openai-poll-after-ms`, read by openai-python's poll helper), if a number. */
const pollAfter = (headers: Headers): number | undefined => {
  const value = Number(headers.get("openai-poll-after-ms") ?? Number.NaN)
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

/** The seconds a job bills: its video's, except an extension's, whose video is the stitched total. */
const jobSeconds = (spec: SegmentSpec, video: Video) =>
  spec.extend ? spec.seconds : Number(video.seconds) || spec.seconds

const isExpired = (cause: unknown) => cause instanceof APIError && /expired|no longer available/i.test(cause.message)

const isTerminal = (status: string) => status === "cancelled" || status === "canceled" || status === "expired"

const describeCause = (cause: unknown, scrub: (text: string) => string): string =>
  cause instanceof Error ? scrub(`${cause.name}: ${cause.message}`) : "unknown error"

/** Capabilities for gateway models from config: a JSON array of `ProviderCapabilities`. */
export const modelsConfig: Config.Config<ReadonlyArray<ProviderCapabilities>> = Config.schema(
  Schema.fromJsonString(Schema.Array(Capabilities.ProviderCapabilities)),
  "LONGSORA_VIDEO_MODELS"
).pipe(Config.withDefault([] as ReadonlyArray<ProviderCapabilities>))

export const pollTimeoutConfig: Config.Config<number | undefined> = Config.Int("LONGSORA_POLL_TIMEOUT_MS").pipe(
  Config.option,
  Config.map(Option.getOrUndefined)
)

/** The generator over an `OpenAiClient` you provide (share one client between services). */
export const layerWithClient = (
  options: Options = {}
): Layer.Layer<SegmentGenerator.SegmentGenerator, never, OpenAiClient.OpenAiClient> =>
  Layer.effect(SegmentGenerator.SegmentGenerator, make(options))

/** The generator with its own client from explicit settings: `layer({ apiKey: "sk-…", baseURL })` (a string or a `Redacted`). */
export const layer = (options: Options & OpenAiClient.Options): Layer.Layer<SegmentGenerator.SegmentGenerator> =>
  layerWithClient(options).pipe(Layer.provide(OpenAiClient.layer(options)))

/**
 * The generator configured from env (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`,
 * `OPENAI_PROJECT_ID`, `OPENAI_TIMEOUT_MS`, `LONGSORA_VIDEO_MODELS`, `LONGSORA_POLL_TIMEOUT_MS`);
 * anything in `options` overrides what is read.
 */
export const layerConfig = (
  options: Options & Partial<OpenAiClient.Options> = {}
): Layer.Layer<SegmentGenerator.SegmentGenerator, Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const models = options.models ?? (yield* modelsConfig)
      const timeoutMs = options.polling?.timeoutMs ?? (yield* pollTimeoutConfig)
      const polling = timeoutMs === undefined ? options.polling : { ...options.polling, timeoutMs }
      return layerWithClient({ ...options, models, polling }).pipe(Layer.provide(OpenAiClient.layerConfig(options)))
    })
  )
