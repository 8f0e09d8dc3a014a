/**
 * xAI's video API for Grok Imagine, as `@ai-sdk/xai`'s video model speaks it: `POST
 * {base}/videos/generations` with `{model, prompt, duration, aspect_ratio, resolution, image:{url}}`
 * → `{request_id}`; `GET {base}/videos/{request_id}` → `{status: "pending"|"done"|"failed"|"expired",
 * progress, video:{url, duration, respect_moderation}, error:{code,message}}`. A clip withheld for
 * its content is `done` with `respect_moderation: false` (the package reports a content policy
 * violation). Auth: `Authorization: Bearer <key>`. Errors use xAI's envelope `{code, error}`, `code`
 * being the gRPC status's description (what the package's `responsesErrorSchema` reads).
 *
 * Served under `/xai/v1` (stands for `https://api.x.ai/v1`); the MP4s under `/xai/files`, without
 * credentials, as xAI's video URLs are. Extensions and edits are not emulated: LongSora declares
 * neither for Grok Imagine.
 */
import type { IncomingMessage } from "node:http"
import type { RequestContext } from "./AppContext.ts"
import { imageFromUrl, isFailure } from "./DialectImages.ts"
import { ratioOf, sizeFor, type XaiModel } from "./DialectModels.ts"
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

export const PREFIX = "/xai"
/** Where `createXai({ baseURL })` points: the emulator's `https://api.x.ai/v1`. */
export const API_PATH = `${PREFIX}/v1`
const VIDEO_PREFIX = "video_"

/** gRPC status descriptions, which xAI answers as `code`. */
const CODES = {
  400: "Client specified an invalid argument",
  401: "The request does not have valid authentication credentials for the operation",
  404: "Some requested entity was not found",
  429: "Some resource has been exhausted",
  500: "Internal error",
  503: "The service is currently unavailable"
} as const

export const xaiError = (status: number, error: string, headers?: Readonly<Record<string, string>>) =>
  new DialectError({
    status,
    body: { code: CODES[status as keyof typeof CODES] ?? CODES[500], error },
    ...(headers ? { headers } : {})
  })

const invalid = (message: string) => xaiError(400, message)

/** `xa***fL`: xAI shows a wrong key by its ends. */
const masked = (key: string): string => (key.length <= 4 ? "***" : `${key.slice(0, 2)}***${key.slice(-2)}`)

/**
 * A wrong key is 400 "Incorrect API key provided" (as users report xAI's answer); a missing one 401
 * (its wording is [UNVERIFIED]).
 */
const authenticate = (req: IncomingMessage, _url: URL, apiKey: string): string => {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? "")
  const key = (m?.[1] ?? "").trim()
  if (key === "") {
    throw xaiError(401, "No API key provided. You can obtain an API key from https://console.x.ai.")
  }
  if (key !== apiKey) {
    throw invalid(`Incorrect API key provided: ${masked(key)}. You can obtain an API key from https://console.x.ai.`)
  }
  return key
}

/** Request fields xAI has that the emulator does not render: refused, so a client never thinks they worked. */
const NOT_EMULATED = ["last_frame", "keyframes", "reference_images", "reference_audios", "video", "storage_options"]
const KNOWN = ["model", "prompt", "duration", "aspect_ratio", "resolution", "image", "generate_audio", "user"]
/** xAI's prompt limit (its schema, as Comfy Router republishes it). */
export const MAX_PROMPT_CHARS = 4096

interface XaiInput {
  readonly prompt: string
  readonly duration: number
  readonly aspectRatio: string | undefined
  readonly resolution: string
  readonly imageUrl: string | undefined
}

/** Checks the body against the model's limits; every field is named as xAI names it. */
const readInput = (body: Record<string, unknown>, model: XaiModel, modelId: string): XaiInput => {
  for (const field of Object.keys(body)) {
    if (NOT_EMULATED.includes(field)) throw invalid(`\`${field}\` is not emulated.`)
    if (!KNOWN.includes(field)) throw invalid(`Unknown field \`${field}\`. Known fields: ${KNOWN.join(", ")}.`)
  }
  const { prompt, duration = model.defaultSeconds, aspect_ratio, resolution = model.defaultResolution } = body
  if (typeof prompt !== "string" || prompt.trim() === "") throw invalid("`prompt` is required and must be a string.")
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw invalid(`\`prompt\` is ${prompt.length} characters; at most ${MAX_PROMPT_CHARS} are allowed.`)
  }
  if (
    typeof duration !== "number" ||
    !Number.isInteger(duration) ||
    duration < model.minSeconds ||
    duration > model.maxSeconds
  ) {
    throw invalid(
      `\`duration\` ${JSON.stringify(duration)} is not supported by ${modelId}: a whole number of seconds from ${model.minSeconds} to ${model.maxSeconds}.`
    )
  }
  if (aspect_ratio !== undefined && (typeof aspect_ratio !== "string" || !model.aspectRatios.includes(aspect_ratio))) {
    throw invalid(
      `\`aspect_ratio\` ${JSON.stringify(aspect_ratio)} is not supported by ${modelId}. Supported values: ${model.aspectRatios.join(", ")}.`
    )
  }
  const resolutions = Object.keys(model.resolutions)
  if (typeof resolution !== "string" || !resolutions.includes(resolution)) {
    throw invalid(
      `\`resolution\` ${JSON.stringify(resolution)} is not supported by ${modelId}. Supported values: ${resolutions.join(", ")}.`
    )
  }
  if (body.generate_audio !== undefined && typeof body.generate_audio !== "boolean") {
    throw invalid("`generate_audio` must be a boolean.")
  }
  if (body.user !== undefined && typeof body.user !== "string") throw invalid("`user` must be a string.")
  const image = body.image
  const imageUrl =
    typeof image === "object" && image !== null && !Array.isArray(image)
      ? (image as Record<string, unknown>).url
      : undefined
  if (image !== undefined && (typeof imageUrl !== "string" || imageUrl === "")) {
    throw invalid("`image` must be an object with a `url` (an https URL or a base64 data URL).")
  }
  return {
    prompt,
    duration,
    aspectRatio: aspect_ratio,
    resolution,
    imageUrl: typeof imageUrl === "string" ? imageUrl : undefined
  }
}

const readBody = (ctx: RequestContext): Promise<Record<string, unknown>> =>
  readJsonObject(ctx, {
    unparsable: () => invalid("Failed to parse the request body as JSON."),
    notObject: () => invalid("The request body must be a JSON object.")
  })

export const generate = async (ctx: RequestContext): Promise<void> => {
  const body = await readBody(ctx)
  const modelId = typeof body.model === "string" ? body.model : ""
  const model = ctx.app.dialects.xaiModels[modelId]
  if (!model) {
    throw xaiError(
      404,
      `The model ${JSON.stringify(modelId)} does not exist or your team does not have access to it. Video models: ${Object.keys(ctx.app.dialects.xaiModels).join(", ")}.`
    )
  }
  const { model: _model, ...fields } = body
  const input = readInput(fields, model, modelId)
  const image = input.imageUrl ? await imageFromUrl(input.imageUrl, ctx.app.uploadDir, ctx.app.limits) : undefined
  if (image && isFailure(image)) throw invalid(`\`image.url\` could not be used: ${image.failure}.`)
  // Without an aspect ratio an image-to-video clip takes the image's shape.
  const ratio = (input.aspectRatio && ratioOf(input.aspectRatio)) || (image ? image.width / image.height : 16 / 9)
  const video = await startJob(ctx, "xai", {
    model: modelId,
    prompt: input.prompt,
    seconds: String(input.duration),
    size: sizeFor(model.resolutions[input.resolution] ?? 480, ratio),
    reference: image ? { path: image.path, transient: true } : undefined,
    firstFrame: "conditioning"
  })
  if (video) sendJson(ctx.res, 200, { request_id: video.id.slice(VIDEO_PREFIX.length) })
}

const notEmulated = (what: string) => async (): Promise<void> => {
  throw invalid(`Video ${what} are not emulated: LongSora declares no ${what} for Grok Imagine.`)
}

/** The request, if it exists and is a Grok Imagine job. */
const requestOf = (ctx: RequestContext): VideoObject => {
  const id = ctx.params[0] ?? ""
  const video = findVideo(ctx.app, `${VIDEO_PREFIX}${id}`)
  if (!video || !ctx.app.dialects.xaiModels[video.model]) throw xaiError(404, `Video request ${id} not found.`)
  return video
}

export const status = async (ctx: RequestContext): Promise<void> => {
  const video = requestOf(ctx)
  const hex = video.id.slice(VIDEO_PREFIX.length)
  const outcome = outcomeOf(ctx.app, video)
  const seconds = Number(video.seconds)
  switch (outcome.kind) {
    case "running":
      return sendJson(ctx.res, 200, { status: "pending", model: video.model, progress: video.progress })
    case "failed":
      return sendJson(ctx.res, 200, {
        status: "failed",
        model: video.model,
        error: { code: "internal_error", message: "The video could not be generated due to an internal error." }
      })
    case "moderated":
      return sendJson(ctx.res, 200, {
        status: "done",
        model: video.model,
        progress: 100,
        video: { url: null, duration: seconds, respect_moderation: false }
      })
    case "completed":
      // Expired by age: xAI says so. The `expire-result` fault instead leaves a URL that no longer answers.
      if (mediaOf(ctx.app, video.id) === "expired" && !ctx.app.dialects.expired.has(video.id)) {
        return sendJson(ctx.res, 200, { status: "expired", model: video.model })
      }
      return sendJson(ctx.res, 200, {
        status: "done",
        model: video.model,
        progress: 100,
        video: {
          url: `${originOf(ctx.req)}${PREFIX}/files/${hex}/video.mp4`,
          duration: seconds,
          respect_moderation: true
        }
      })
  }
}

/** xAI's video URLs need no credentials; an expired one answers 404. */
export const media = (ctx: RequestContext): Promise<void> =>
  sendClip(ctx, `${VIDEO_PREFIX}${ctx.params[0] ?? ""}`, () =>
    xaiError(404, "The video does not exist or has expired.")
  )

const ID = "([A-Za-z0-9-]+)"
const route = (method: string, path: string, handler: DialectRoute["handler"], authenticated = true): DialectRoute => ({
  method,
  pattern: new RegExp(`^${PREFIX}${path.replace(/\{[a-z_]+\}/g, ID)}$`),
  name: `${method} ${PREFIX}${path}`,
  handler,
  authenticated
})

export const xai: Dialect = {
  name: "xai",
  prefix: PREFIX,
  routes: [
    route("POST", "/v1/videos/generations", generate),
    route("POST", "/v1/videos/extensions", notEmulated("extensions")),
    route("POST", "/v1/videos/edits", notEmulated("edits")),
    route("GET", "/v1/videos/{request_id}", status),
    route("GET", "/files/{request_id}/video.mp4", media, false)
  ],
  authenticate,
  rateLimited: (ms) =>
    xaiError(429, "Too many requests. Please slow down and retry later.", {
      "retry-after": String(Math.max(1, Math.ceil(ms / 1000)))
    }),
  serverError: (status) =>
    xaiError(status, status === 503 ? "The service is temporarily unavailable." : "An internal error occurred."),
  notFound: (method, path) => xaiError(404, `No route for ${method} ${path}.`)
}
