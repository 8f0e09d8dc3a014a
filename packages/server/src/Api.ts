/**
 * The Videos API routes: create, retrieve, list, delete, content (with Range), and the job's
 * progress events as Server-Sent Events; LongSora's extensions retry and regenerate. Every answer
 * that is not a success is in the contract's error envelope.
 */
import { type LongVideo, LongVideoRequest } from "@longsora/core"
import { Effect, Layer, Option, Path, Stream } from "effect"
import { type HttpPlatform, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { ApiError, fromValidation, handle, invalidRequest, notFound } from "./ApiError.ts"
import * as Auth from "./Auth.ts"
import * as Content from "./Content.ts"
import * as CreateParams from "./CreateParams.ts"
import type { Job } from "./Job.ts"
import { JobRunner, outputFile, removeFiles, thumbnailFile } from "./JobRunner.ts"
import { JobStore } from "./JobStore.ts"
import * as NewJob from "./NewJob.ts"
import * as References from "./References.ts"
import * as RequestBody from "./RequestBody.ts"
import * as VideoObject from "./VideoObject.ts"

export interface Options {
  readonly dataDir: string
  readonly auth: Auth.Options
  readonly body: RequestBody.Limits
  /** How often the event stream looks for new events. */
  readonly eventPollMs?: number | undefined
}

const json = (body: unknown, status = 200) => HttpServerResponse.jsonUnsafe(body, { status })

/** The caller's job `id`, or 404 (another key's job reads as missing, as it does on OpenAI). */
const ownJob = (id: string, principal: Auth.Principal) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const job = yield* store.get(id)
    if (Option.isNone(job) || job.value.owner !== principal.id) {
      return yield* notFound(`No video found with id '${id}'.`)
    }
    return job.value
  })

const videoId = HttpRouter.params.pipe(Effect.map((params) => params.video_id ?? ""))

const create = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const body = yield* RequestBody.read(options.body)
    const params = yield* CreateParams.parse(body.fields)
    const id = NewJob.newId()
    const outputDir = NewJob.outputDirOf(options.dataDir, id)
    const numGenerations = yield* CreateParams.segmentCount(params)
    const reference = yield* References.store(options.dataDir, id, body.file, params.imageUrl)
    const discardReference = reference ? References.remove(reference) : Effect.void
    const seconds = CreateParams.secondsOf(params)
    const transition = CreateParams.transitionOf(params.transition)
    const request = new LongVideoRequest.LongVideoRequest({
      prompt: params.prompt,
      model: params.model,
      planModel: params.planModel ?? LongVideoRequest.defaults.planModel,
      outputDir,
      saveSegments: false,
      ...(seconds === undefined ? {} : { seconds }),
      ...(numGenerations === undefined ? {} : { numGenerations }),
      ...(params.durations === undefined ? {} : { durations: [...params.durations] }),
      ...(params.size === undefined ? {} : { size: params.size }),
      ...(reference === undefined ? {} : { inputReference: reference }),
      ...(params.plan === undefined ? {} : { plan: params.plan }),
      ...(transition === undefined ? {} : { transition }),
      ...(params.mode === undefined ? {} : { mode: params.mode }),
      ...(params.chain === undefined ? {} : { chain: params.chain })
    })
    const { job } = yield* NewJob.prepare({
      id,
      owner: principal.id,
      request,
      planModel: params.planModel,
      transition: params.transition
    }).pipe(Effect.tapError(() => discardReference))
    yield* NewJob.admit(job, principal.limits).pipe(Effect.tapError(() => discardReference))
    return json(VideoObject.of(job))
  })

const retrieve = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    return json(VideoObject.of(job))
  })

const listQuery = Effect.gen(function* () {
  const query = yield* HttpServerRequest.ParsedSearchParams
  const single = (name: string) => {
    const value = query[name]
    return Array.isArray(value) ? value[0] : value
  }
  const limitText = single("limit")
  const limit = limitText === undefined ? 20 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 0 || limit > 100) {
    return yield* invalidRequest(
      `Invalid value for 'limit': '${limitText}'. Expected an integer from 0 to 100.`,
      "limit"
    )
  }
  const order = single("order") ?? "desc"
  if (order !== "asc" && order !== "desc") {
    return yield* invalidRequest(`Invalid value: '${order}'. Supported values are: 'asc' and 'desc'.`, "order")
  }
  return { limit, order, after: single("after") } as const
})

const list = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const { limit, order, after } = yield* listQuery
    const page = yield* (yield* JobStore).list({ owner: principal.id, limit, order, after })
    const data = page.data.map(VideoObject.of)
    return json({
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: page.hasMore
    })
  })

const remove = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    // A running job is stopped first; what it already paid for is not refunded by deleting it.
    yield* (yield* JobRunner).cancel(job.id)
    yield* (yield* JobStore).remove(job.id)
    yield* removeFiles(job)
    return json({ id: job.id, object: "video.deleted", deleted: true })
  })

/** A body field outside `accepted` is a 400 naming it and what is accepted. */
const onlyFields = (fields: Record<string, unknown>, accepted: ReadonlyArray<string>) => {
  const unknown = Object.keys(fields).find((key) => !accepted.includes(key))
  return unknown === undefined
    ? Effect.void
    : Effect.fail(
        invalidRequest(
          `Unknown parameter: '${unknown}'. Accepted: ${accepted.join(", ")}.`,
          unknown,
          "unknown_parameter"
        )
      )
}

/** A retry's options: `recreate_lost`, a boolean (default false); nothing else. */
const retryOptions = (fields: Record<string, unknown>) =>
  Effect.gen(function* () {
    yield* onlyFields(fields, ["recreate_lost"])
    const recreateLost = fields.recreate_lost ?? false
    if (typeof recreateLost !== "boolean") {
      return yield* invalidRequest(
        `Invalid type for 'recreate_lost': expected a boolean, but got ${JSON.stringify(recreateLost)}.`,
        "recreate_lost",
        "invalid_type"
      )
    }
    return { recreateLost }
  })

/** LongSora's extension: runs a failed job again in place, paying only for what is missing. */
const retry = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    const retryWith = yield* retryOptions(yield* RequestBody.readOptionalJson(options.body))
    const queued = yield* NewJob.retry(job, principal.limits, retryWith)
    return json(VideoObject.of(queued))
  })

/** A regenerate's body: `segment`, a whole number from 1 (required), and `prompt`, text (optional); nothing else. */
const regenerateOptions = (fields: Record<string, unknown>) =>
  Effect.gen(function* () {
    yield* onlyFields(fields, ["segment", "prompt"])
    const { segment, prompt } = fields
    if (segment === undefined) {
      return yield* invalidRequest(
        "Missing required parameter: 'segment' (the segment to make again, from 1).",
        "segment",
        "missing_required_parameter"
      )
    }
    if (typeof segment !== "number" || !Number.isInteger(segment) || segment < 1) {
      return yield* invalidRequest(
        `Invalid value for 'segment': expected a whole number from 1, but got ${JSON.stringify(segment)}.`,
        "segment",
        typeof segment === "number" ? "invalid_value" : "invalid_type"
      )
    }
    if (prompt !== undefined && (typeof prompt !== "string" || prompt.trim() === "")) {
      return yield* invalidRequest(
        `Invalid value for 'prompt': expected text, but got ${JSON.stringify(prompt)}. Leave it out to keep the segment's prompt.`,
        "prompt",
        typeof prompt === "string" ? "invalid_value" : "invalid_type"
      )
    }
    const options: NewJob.RegenerateOptions = { segment, prompt }
    return options
  })

/** The 409 for a regenerate of a run that did not finish (core's refusal names its `outputDir`). */
const notCompletedError = (job: Job) =>
  new ApiError({
    status: 409,
    message:
      `Video ${job.id} is ${job.status} and its run did not finish; only a completed video's segments can be made again. ` +
      `Retry it first with POST /v1/videos/${job.id}/retry, then regenerate.`,
    type: "invalid_request_error",
    param: null,
    code: "video_not_completed"
  })

/** A regenerate's refusals in this API's terms: core's name the body field (`segment`, `prompt`). */
const regenerateError =
  (job: Job) =>
  (error: ApiError | { readonly _tag: string; readonly message: string; readonly field?: string }): ApiError => {
    if (error instanceof ApiError) return error
    if (error._tag === "InvalidRequest" && error.field === "outputDir") return notCompletedError(job)
    return fromValidation(error)
  }

/**
 * LongSora's extension: makes segment `segment` of a completed job again (in chained last-frame/extend mode, also
 * every later one), optionally with a new prompt, keeping the earlier clips; the seconds count toward the key's day.
 */
const regenerate = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    const asked = yield* regenerateOptions(yield* RequestBody.readOptionalJson(options.body))
    const { queued } = yield* NewJob.regenerate(job, asked, principal.limits).pipe(
      Effect.mapError(regenerateError(job))
    )
    return json(VideoObject.of(queued))
  })

const content = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    const query = yield* HttpServerRequest.ParsedSearchParams
    const variant = query.variant ?? "video"
    if (variant !== "video" && variant !== "thumbnail") {
      return yield* invalidRequest(
        `Invalid value: '${variant}'. Supported values are: 'video' and 'thumbnail' (this server makes no spritesheet).`,
        "variant"
      )
    }
    if (job.status !== "completed") {
      return yield* notFound(
        `Video is not ready yet (status ${job.status}, ${job.progress}%), use GET /v1/videos/${job.id} to check status.`
      )
    }
    const path = yield* Path.Path
    const request = yield* HttpServerRequest.HttpServerRequest
    const file = path.join(job.outputDir, variant === "video" ? outputFile : thumbnailFile)
    return yield* Content.serveFile(file, variant === "video" ? "video/mp4" : "image/jpeg", request.headers.range)
  })

const finalTags = new Set(["Completed", "Failed"])
/**
 * Named events: the final ones, a retry (after a `failed`, the stream goes on with the new attempt) and a
 * regenerate (after a `completed`, the stream goes on with the segments made again).
 */
const namedTags = new Set([...finalTags, "Retried", "Regenerating"])

/** Idle polls between two keep-alive comments (about 15 s at the default interval). */
const keepAliveEvery = 75

/** The job's events from `after` on, then live ones, until its final event. */
const eventStream = (id: string, after: number, pollMs: number) =>
  Stream.paginate({ seq: after, idle: 0 }, ({ seq, idle }) =>
    Effect.gen(function* () {
      const store = yield* JobStore
      const events = yield* store.eventsAfter(id, seq)
      if (events.length === 0) {
        // Deleted meanwhile: nothing more will come.
        if (Option.isNone(yield* store.get(id))) return [[], Option.none()] as const
        yield* Effect.sleep(pollMs)
        const frames = idle % keepAliveEvery === keepAliveEvery - 1 ? [": keep-alive\n\n"] : []
        return [frames, Option.some({ seq, idle: idle + 1 })] as const
      }
      const tags = events.map(({ data }) => (JSON.parse(data) as { _tag: string })._tag)
      const frames = events.map(({ seq, data }, i) => {
        const event = namedTags.has(tags[i]!) ? tags[i]!.toLowerCase() : "progress"
        return `id: ${seq}\nevent: ${event}\ndata: ${data}\n\n`
      })
      // A final event ends the stream unless a retry or a regenerate came after it (replayed from the start, say).
      const final = finalTags.has(tags[tags.length - 1]!)
      return [frames, final ? Option.none() : Option.some({ seq: events[events.length - 1]!.seq, idle: 0 })] as const
    })
  )

const events = (options: Options) =>
  Effect.gen(function* () {
    const principal = yield* Auth.authenticate(options.auth)
    const job = yield* ownJob(yield* videoId, principal)
    const request = yield* HttpServerRequest.HttpServerRequest
    const lastEventId = Number(request.headers["last-event-id"] ?? 0)
    const after = Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0
    const store = yield* JobStore
    const stream = eventStream(job.id, after, options.eventPollMs ?? 200).pipe(
      Stream.provideService(JobStore, store),
      Stream.encodeText
    )
    return HttpServerResponse.stream(stream, {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    })
  })

const notFoundRoute = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  return yield* notFound(`Invalid URL (${request.method} ${request.url}).`)
})

/** The routes, with the services they use taken from the layer's context. */
export const layer = (
  options: Options
): Layer.Layer<
  never,
  never,
  HttpRouter.HttpRouter | HttpPlatform.HttpPlatform | JobStore | JobRunner | LongVideo.Requirements
> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const services = yield* Effect.context<
        HttpPlatform.HttpPlatform | JobStore | JobRunner | LongVideo.Requirements
      >()
      const route = <E, R>(
        method: "GET" | "POST" | "DELETE" | "*",
        path: HttpRouter.PathInput,
        handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
      ) => HttpRouter.route(method, path, handle(handler).pipe(Effect.provideContext(services)))
      return HttpRouter.addAll([
        route("POST", "/v1/videos", create(options)),
        route("GET", "/v1/videos", list(options)),
        route("GET", "/v1/videos/:video_id", retrieve(options)),
        route("DELETE", "/v1/videos/:video_id", remove(options)),
        route("GET", "/v1/videos/:video_id/content", content(options)),
        route("GET", "/v1/videos/:video_id/events", events(options)),
        route("POST", "/v1/videos/:video_id/retry", retry(options)),
        route("POST", "/v1/videos/:video_id/regenerate", regenerate(options)),
        route("*", "*", notFoundRoute)
      ])
    })
  )
