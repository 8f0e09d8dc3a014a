/**
 * fal's queue protocol, as `@ai-sdk/fal`'s video model speaks it: `POST https://queue.fal.run/{app}`
 * → `{request_id, response_url, status_url, cancel_url}`; `GET …/requests/{id}/status` →
 * `IN_QUEUE` / `IN_PROGRESS` / `COMPLETED`; `GET …/requests/{id}` → 400 `{"detail":"Request is still
 * in progress"}` until done, then the app's output `{video:{url, content_type, file_name,
 * file_size}}`. Auth: `Authorization: Key …`. Validation errors are FastAPI's 422 `{detail:[…]}`.
 *
 * The emulator serves the queue under `/fal/queue` and media under `/fal/files` (fal serves them
 * from another host, without credentials). `@ai-sdk/fal` 3.0.41 pins the queue host
 * (`https://queue.fal.run/fal-ai/…`, its `baseURL` option does not apply to video) and only sends
 * the key to, and only trusts, URLs on the submit URL's origin, so the answers name the queue by its
 * public origin (`falQueueOrigin`, default `https://queue.fal.run`) and `falFetch` routes that
 * origin to the emulator.
 */
import { stat } from "node:fs/promises"
import type { IncomingMessage } from "node:http"
import type { RequestContext } from "./AppContext.ts"
import { defaults } from "./Defaults.ts"
import { type FrameImage, imageFromUrl, isFailure } from "./DialectImages.ts"
import { type FalModel, ratioOf, sizeFor } from "./DialectModels.ts"
import {
  type Dialect,
  DialectError,
  type DialectRoute,
  findVideo,
  mediaOf,
  originOf,
  outcomeOf,
  readJsonObject,
  sendClip,
  startJob
} from "./Dialects.ts"
import { sendJson } from "./HttpIo.ts"
import type { VideoObject } from "./VideoStore.ts"

export const PREFIX = "/fal"
export const QUEUE_PATH = `${PREFIX}/queue`
export const FAL_QUEUE_ORIGIN = defaults.falQueueOrigin
const VIDEO_PREFIX = "video_"

export const detail = (status: number, body: unknown, headers?: Readonly<Record<string, string>>) =>
  new DialectError({ status, body: { detail: body }, ...(headers ? { headers } : {}) })

export interface FieldError {
  readonly loc: ReadonlyArray<string>
  readonly msg: string
  readonly type: string
  readonly input?: unknown
  readonly ctx?: Readonly<Record<string, unknown>>
}

export const unprocessable = (errors: ReadonlyArray<FieldError>) => detail(422, errors)

const authenticate = (req: IncomingMessage, _url: URL, apiKey: string): string => {
  const header = req.headers.authorization?.trim() ?? ""
  const m = /^Key\s+(.+)$/i.exec(header)
  if (!m) throw detail(401, "Authentication is required to access this resource. Send 'Authorization: Key <FAL_KEY>'.")
  const key = (m[1] ?? "").trim()
  if (key !== apiKey) throw detail(401, "Invalid authentication credentials.")
  return key
}

/** Python's list wording in pydantic enum errors: `'5' or '10'`. */
const expected = (values: ReadonlyArray<string>): string => {
  const q = values.map((v) => `'${v}'`)
  return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`
}

export const enumError = (field: string, value: unknown, allowed: ReadonlyArray<string>): FieldError => ({
  loc: ["body", field],
  msg: `Input should be ${expected(allowed)}`,
  type: "enum",
  input: value,
  ctx: { expected: expected(allowed) }
})

export const missing = (field: string): FieldError => ({ loc: ["body", field], msg: "Field required", type: "missing" })

interface FalInput {
  readonly prompt: string
  readonly imageUrl: string
  readonly duration: string
  readonly resolution: string | undefined
  readonly aspectRatio: string | undefined
  readonly endImageUrl: string | undefined
}

/** Checks the body against the app's schema, collecting every error as FastAPI does. */
const readInput = (body: Record<string, unknown>, model: FalModel): FalInput => {
  const errors: Array<FieldError> = []
  const text = (field: string, required: boolean): string | undefined => {
    const v = body[field]
    if (v === undefined || v === null) {
      if (required) errors.push(missing(field))
      return undefined
    }
    if (typeof v !== "string") {
      errors.push({ loc: ["body", field], msg: "Input should be a valid string", type: "string_type", input: v })
      return undefined
    }
    return v
  }
  const choice = (field: string, allowed: ReadonlyArray<string> | undefined): string | undefined => {
    const v = body[field]
    if (v === undefined || v === null || !allowed) return allowed?.[0]
    if (typeof v !== "string" || !allowed.includes(v)) {
      errors.push(enumError(field, v, allowed))
      return undefined
    }
    return v
  }
  const prompt = text("prompt", true)
  const imageUrl = text("image_url", true)
  const endImageUrl = model.endFrameField ? text(model.endFrameField, false) : undefined
  const duration = choice("duration", model.durations)
  const resolution = choice("resolution", model.resolutions ? Object.keys(model.resolutions) : undefined)
  const aspectRatio = model.aspectRatios ? choice("aspect_ratio", ["auto", ...model.aspectRatios]) : undefined
  if (errors.length > 0 || prompt === undefined || imageUrl === undefined || duration === undefined) {
    throw unprocessable(errors)
  }
  return { prompt, imageUrl, duration, resolution, aspectRatio, endImageUrl }
}

export const fetchImage = async (ctx: RequestContext, field: string, url: string): Promise<FrameImage> => {
  const image = await imageFromUrl(url, ctx.app.uploadDir, ctx.app.limits)
  if (isFailure(image)) {
    throw unprocessable([
      {
        loc: ["body", field],
        msg: `Failed to download the file. Please check if the URL is accessible (${image.failure}).`,
        type: "file_download_error",
        input: url.length > 64 ? `${url.slice(0, 64)}…` : url
      }
    ])
  }
  return image
}

/** fal's queue URLs name the app without its subpath: `fal-ai/kling-video/requests/{id}`. */
const appBase = (app: string): string => app.split("/").slice(0, 2).join("/")

const queueUrls = (ctx: RequestContext, app: string, video: VideoObject) => {
  const requestUrl = `${ctx.app.dialects.falQueueOrigin}/${appBase(app)}/requests/${video.id.slice(VIDEO_PREFIX.length)}`
  return { response_url: requestUrl, status_url: `${requestUrl}/status`, cancel_url: `${requestUrl}/cancel` }
}

/** A fal app's JSON input, refused as FastAPI does (422 with `detail`) when it is not an object. */
export const readBody = (ctx: RequestContext): Promise<Record<string, unknown>> =>
  readJsonObject(ctx, {
    unparsable: () => unprocessable([{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }]),
    notObject: () => unprocessable([{ loc: ["body"], msg: "Input should be a valid dictionary", type: "dict_type" }])
  })

export const submit = async (ctx: RequestContext): Promise<void> => {
  const app = ctx.params[0] ?? ""
  const model = ctx.app.dialects.falModels[app]
  if (!model) throw detail(404, `Application '${app}' not found.`)
  const input = readInput(await readBody(ctx), model)
  const image = await fetchImage(ctx, "image_url", input.imageUrl)
  const end =
    input.endImageUrl && model.endFrameField ? await fetchImage(ctx, model.endFrameField, input.endImageUrl) : undefined
  const height = (input.resolution && model.resolutions?.[input.resolution]) || model.height || 720
  const ratio = (input.aspectRatio && ratioOf(input.aspectRatio)) || image.width / image.height
  const video = await startJob(ctx, "fal", {
    model: app,
    prompt: input.prompt,
    seconds: input.duration,
    size: sizeFor(height, ratio),
    reference: { path: image.path, transient: true },
    lastFrame: end ? { path: end.path, transient: true } : undefined,
    firstFrame: model.firstFrame
  })
  if (!video) return
  sendJson(ctx.res, 200, {
    status: "IN_QUEUE",
    request_id: video.id.slice(VIDEO_PREFIX.length),
    ...queueUrls(ctx, app, video),
    queue_position: 0
  })
}

/** The request, if it exists and belongs to the app named in the path (base or full app id). */
const requestOf = (ctx: RequestContext): { app: string; video: VideoObject } => {
  const [app = "", id = ""] = ctx.params
  const video = findVideo(ctx.app, `${VIDEO_PREFIX}${id}`)
  if (
    !video ||
    !(video.model === app || video.model.startsWith(`${app}/`)) ||
    !ctx.app.dialects.falModels[video.model]
  ) {
    throw detail(404, `Request '${id}' not found.`)
  }
  return { app: video.model, video }
}

export const status = async (ctx: RequestContext): Promise<void> => {
  const { app, video } = requestOf(ctx)
  const urls = queueUrls(ctx, app, video)
  const outcome = outcomeOf(ctx.app, video)
  const logs = ctx.url.searchParams.get("logs") === "1" ? { logs: [] } : {}
  if (outcome.kind === "running") {
    const state = video.status === "queued" ? { status: "IN_QUEUE", queue_position: 0 } : { status: "IN_PROGRESS" }
    return sendJson(ctx.res, 200, { ...state, ...urls, ...logs })
  }
  // A failed run is still COMPLETED on the queue; only the result tells (LiteLLM's fal notes).
  const failure = outcome.kind === "completed" ? {} : { error: "Video generation failed.", error_type: outcome.kind }
  return sendJson(ctx.res, 200, { status: "COMPLETED", ...urls, ...logs, metrics: {}, ...failure })
}

export const result = async (ctx: RequestContext): Promise<void> => {
  const { video } = requestOf(ctx)
  const outcome = outcomeOf(ctx.app, video)
  switch (outcome.kind) {
    case "running":
      throw detail(400, "Request is still in progress")
    case "failed":
      throw detail(500, "Video generation failed due to an internal error.")
    case "moderated":
      throw unprocessable([
        {
          loc: ["body", "prompt"],
          msg: "The content could not be processed because it contained material flagged by a content checker.",
          type: "content_policy_violation"
        }
      ])
    case "completed": {
      const hex = video.id.slice(VIDEO_PREFIX.length)
      const media = mediaOf(ctx.app, video.id)
      const size = media === "expired" || media === "not-ready" ? undefined : (await stat(media)).size
      return sendJson(ctx.res, 200, {
        video: {
          url: `${originOf(ctx.req)}${PREFIX}/files/${hex}/video.mp4`,
          content_type: "video/mp4",
          file_name: "video.mp4",
          ...(size === undefined ? {} : { file_size: size })
        }
      })
    }
  }
}

/** fal's media URLs need no credentials; an expired one answers 404. */
export const media = (ctx: RequestContext): Promise<void> =>
  sendClip(ctx, `${VIDEO_PREFIX}${ctx.params[0] ?? ""}`, () => detail(404, "Not Found"))

const APP = "([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*?)"
const REQUEST = "([A-Za-z0-9-]+)"
const route = (
  method: string,
  pattern: string,
  name: string,
  handler: DialectRoute["handler"],
  authenticated = true
): DialectRoute => ({ method, pattern: new RegExp(`^${pattern}$`), name: `${method} ${name}`, handler, authenticated })

export const fal: Dialect = {
  name: "fal",
  prefix: PREFIX,
  routes: [
    route("GET", `${QUEUE_PATH}/${APP}/requests/${REQUEST}/status`, `${QUEUE_PATH}/{app}/requests/{id}/status`, status),
    route("GET", `${QUEUE_PATH}/${APP}/requests/${REQUEST}`, `${QUEUE_PATH}/{app}/requests/{id}`, result),
    route("POST", `${QUEUE_PATH}/${APP}`, `${QUEUE_PATH}/{app}`, submit),
    route("GET", `${PREFIX}/files/${REQUEST}/video.mp4`, `${PREFIX}/files/{id}/video.mp4`, media, false)
  ],
  authenticate,
  rateLimited: (ms) =>
    detail(429, "Rate limit exceeded. Please retry later.", {
      "retry-after": String(Math.max(1, Math.ceil(ms / 1000)))
    }),
  serverError: (status) => detail(status, "Internal Server Error"),
  notFound: () => detail(404, "Not Found")
}

/**
 * A `fetch` for `createFal({ fetch })` that sends what `@ai-sdk/fal` addresses to fal's queue host to
 * the emulator's queue (`queueURL`, e.g. `http://127.0.0.1:4010/fal/queue`); other URLs pass through.
 */
export const falFetch =
  (queueURL: string, origin: string = FAL_QUEUE_ORIGIN, base: typeof fetch = globalThis.fetch): typeof fetch =>
  (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    if (!url.startsWith(`${origin}/`)) return base(input, init)
    const target = `${queueURL.replace(/\/$/, "")}${url.slice(origin.length)}`
    return typeof input === "string" || input instanceof URL
      ? base(target, init)
      : base(new Request(target, input), init)
  }
