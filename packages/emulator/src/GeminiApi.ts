/**
 * Google's Gemini API video protocol for Veo, as `@ai-sdk/google`'s video model speaks it:
 * `POST {base}/models/{model}:predictLongRunning` with `{instances:[{prompt, image, lastFrame}],
 * parameters:{sampleCount, durationSeconds, aspectRatio, resolution, personGeneration, …}}` →
 * `{name: "models/{model}/operations/{id}"}`; `GET {base}/{name}` until `done`, then
 * `response.generateVideoResponse.generatedSamples[].video.uri`, a `files/{id}:download?alt=media`
 * URL on the same origin (the provider appends `key=`). Veo's extension: `instances[0].video.uri` = such
 * a URI, +7 s stitched onto the source (see `extend`). Auth: `x-goog-api-key` or `?key=`. Errors
 * use Google's envelope `{error:{code,message,status,details?}}`.
 */
import type { IncomingMessage } from "node:http"
import type { RequestContext } from "./AppContext.ts"
import { type FrameImage, isFailure, storeImage } from "./DialectImages.ts"
import { ratioOf, sizeFor, type VeoModel } from "./DialectModels.ts"
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

export const PREFIX = "/v1beta"
const VIDEO_PREFIX = "video_"

export const googleError = (code: number, status: string, message: string, details?: ReadonlyArray<unknown>) =>
  new DialectError({ status: code, body: { error: { code, message, status, ...(details ? { details } : {}) } } })

export const invalidArgument = (message: string) => googleError(400, "INVALID_ARGUMENT", message)

const authenticate = (req: IncomingMessage, url: URL, apiKey: string): string => {
  const header = req.headers["x-goog-api-key"]
  const key = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("key") ?? ""
  if (key === "") {
    throw googleError(
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
    )
  }
  if (key !== apiKey) {
    throw googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" }
      }
    ])
  }
  return key
}

/** Google answers quota errors with RetryInfo in the body (no Retry-After header). */
const rateLimited = (retryAfterMs: number) =>
  googleError(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${Math.ceil(retryAfterMs / 1000)}s` }]
  )

const serverError = (status: number) =>
  status === 503
    ? googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    : status === 504
      ? googleError(504, "DEADLINE_EXCEEDED", "The request timed out. Please try again.")
      : googleError(
          status,
          "INTERNAL",
          "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
        )

const modelNotFound = (model: string) =>
  googleError(
    404,
    "NOT_FOUND",
    `models/${model} is not found for API version v1beta, or is not supported for predictLongRunning. Call ListModels to see the list of available models and their supported methods.`
  )

const fileNotFound = (id: string) =>
  googleError(403, "PERMISSION_DENIED", `You do not have permission to access the File ${id} or it may not exist.`)

export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined

/** `{bytesBase64Encoded, mimeType}` → a stored image; `gcsUri` is Vertex-only. */
const readImage = async (ctx: RequestContext, field: string, value: unknown): Promise<FrameImage | undefined> => {
  if (value === undefined || value === null) return undefined
  const image = asRecord(value)
  if (!image) throw invalidArgument(`Invalid value at 'instances[0].${field}': expected an object.`)
  if (image.gcsUri !== undefined) throw invalidArgument(`\`${field}.gcsUri\` isn't supported by the Gemini API.`)
  if (typeof image.bytesBase64Encoded !== "string" || image.bytesBase64Encoded === "") {
    throw invalidArgument(`\`instances[0].${field}.bytesBase64Encoded\` is required.`)
  }
  const mimeType = typeof image.mimeType === "string" ? image.mimeType : "image/png"
  const stored = await storeImage(Buffer.from(image.bytesBase64Encoded, "base64"), mimeType, ctx.app.uploadDir)
  if (isFailure(stored)) throw invalidArgument(`Invalid \`instances[0].${field}\`: ${stored.failure}.`)
  return stored
}

interface VeoParameters {
  readonly durationSeconds: number
  readonly aspectRatio: string
  readonly resolution: string
}

const NOT_EMULATED = ["referenceImages", "mask"]

/** Checks `parameters` against the model's limits; defaults as Veo 3.1 documents them (8 s, 16:9, 720p). */
const readParameters = (value: unknown, model: VeoModel, modelId: string): VeoParameters => {
  const p = asRecord(value) ?? {}
  const sampleCount = p.sampleCount ?? 1
  if (sampleCount !== 1) {
    throw invalidArgument(`\`sampleCount\` ${String(sampleCount)} is not supported by the emulator; it renders 1.`)
  }
  const durationSeconds = p.durationSeconds ?? 8
  if (typeof durationSeconds !== "number" || !model.durations.includes(durationSeconds)) {
    throw invalidArgument(
      `\`durationSeconds\` ${JSON.stringify(durationSeconds)} is not supported by ${modelId}. Supported values: ${model.durations.join(", ")}.`
    )
  }
  const aspectRatio = p.aspectRatio ?? model.aspectRatios[0]
  if (typeof aspectRatio !== "string" || !model.aspectRatios.includes(aspectRatio)) {
    throw invalidArgument(
      `\`aspectRatio\` ${JSON.stringify(aspectRatio)} is not supported by ${modelId}. Supported values: ${model.aspectRatios.join(", ")}.`
    )
  }
  const resolutions = Object.keys(model.resolutions)
  const resolution = p.resolution ?? resolutions[0]
  if (typeof resolution !== "string" || !resolutions.includes(resolution)) {
    throw invalidArgument(
      `\`resolution\` ${JSON.stringify(resolution)} is not supported by ${modelId}. Supported values: ${resolutions.join(", ")}.`
    )
  }
  if (model.eightSecondsOnly.includes(resolution) && durationSeconds !== 8) {
    throw invalidArgument(`\`resolution\` ${resolution} is only supported with \`durationSeconds\` 8.`)
  }
  const person = p.personGeneration
  if (person !== undefined && !["allow_all", "allow_adult", "dont_allow"].includes(String(person))) {
    throw invalidArgument(
      `\`personGeneration\` ${JSON.stringify(person)} is not one of allow_all, allow_adult, dont_allow.`
    )
  }
  return { durationSeconds, aspectRatio, resolution }
}

export const readBody = (ctx: RequestContext): Promise<Record<string, unknown>> =>
  readJsonObject(ctx, {
    unparsable: () => invalidArgument("Invalid JSON payload received. Unexpected token."),
    notObject: () => invalidArgument("Invalid JSON payload received. Expected an object.")
  })

const operationName = (model: string, videoId: string) =>
  `models/${model}/operations/${videoId.slice(VIDEO_PREFIX.length)}`

export const predictLongRunning = async (ctx: RequestContext): Promise<void> => {
  const modelId = ctx.params[0] ?? ""
  const model = ctx.app.dialects.veoModels[modelId]
  if (!model) throw modelNotFound(modelId)
  const body = await readBody(ctx)
  const instances = body.instances
  const instance = Array.isArray(instances) && instances.length === 1 ? asRecord(instances[0]) : undefined
  if (!instance) throw invalidArgument("`instances` must contain exactly one instance.")
  for (const field of NOT_EMULATED)
    if (instance[field] !== undefined) throw invalidArgument(`\`instances[0].${field}\` is not emulated.`)
  const prompt = instance.prompt
  if (prompt !== undefined && typeof prompt !== "string") throw invalidArgument("`prompt` must be a string.")
  if (instance.video !== undefined) return extend(ctx, modelId, instance, body.parameters)
  const params = readParameters(body.parameters, model, modelId)
  const image = await readImage(ctx, "image", instance.image)
  const lastFrame = await readImage(ctx, "lastFrame", instance.lastFrame)
  if (!image && !prompt) throw invalidArgument("A `prompt` or an `image` is required.")
  if (lastFrame && !image) throw invalidArgument("`lastFrame` requires `image` (the first frame).")
  const ratio = ratioOf(params.aspectRatio) ?? 16 / 9
  const video = await startJob(ctx, "gemini", {
    model: modelId,
    prompt: prompt ?? "",
    seconds: String(params.durationSeconds),
    size: sizeFor(model.resolutions[params.resolution] ?? 720, ratio),
    reference: image ? { path: image.path, transient: true } : undefined,
    lastFrame: lastFrame ? { path: lastFrame.path, transient: true } : undefined,
    firstFrame: "exact"
  })
  if (video) sendJson(ctx.res, 200, { name: operationName(modelId, video.id) })
}

/** Veo's extension limits over the Gemini API: +7 s a step, at most 20 steps, 148 s in all, 720p out. */
export const EXTENSION_SECONDS = 7
export const MAX_EXTENSIONS = 20
export const MAX_EXTENDED_SECONDS = 148

/**
 * An extension: `instances[0].video.uri` names a finished Veo clip of this API (its
 * `files/{id}:download` URI). The new job renders 7 s from the source's last frame with its motion
 * going on (the renderer shared with `/v1/videos/extensions`) and its video is both stitched.
 * `durationSeconds` is not read (a step is always 7 s).
 */
const extend = async (
  ctx: RequestContext,
  modelId: string,
  instance: Record<string, unknown>,
  parameters: unknown
): Promise<void> => {
  if (instance.image !== undefined || instance.lastFrame !== undefined) {
    throw invalidArgument("`video` cannot be combined with `image` or `lastFrame`.")
  }
  const resolution = asRecord(parameters)?.resolution
  if (resolution !== undefined && resolution !== "720p") {
    throw invalidArgument(
      `\`resolution\` ${JSON.stringify(resolution)} is not supported for video extension; it outputs 720p.`
    )
  }
  const uri = asRecord(instance.video)?.uri
  const file = typeof uri === "string" ? /\/files\/([A-Za-z0-9._-]+):download/.exec(uri)?.[1] : undefined
  if (file === undefined) throw invalidArgument("`instances[0].video.uri` must be the URI of a video Veo generated.")
  const source = findVideo(ctx.app, `${VIDEO_PREFIX}${file}`)
  const media = source ? mediaOf(ctx.app, source.id) : "expired"
  if (!source || !ctx.app.dialects.veoModels[source.model] || media === "expired" || media === "not-ready") {
    throw invalidArgument(`The input video ${uri} is not a finished Veo video of this project (or it has expired).`)
  }
  const extended = ctx.app.store.extensionSource(source.id)
  const count = extended.extensions + 1
  const total = Number(source.seconds) + EXTENSION_SECONDS
  if (count > MAX_EXTENSIONS || total > MAX_EXTENDED_SECONDS) {
    throw invalidArgument(
      `The input video is ${source.seconds} s after ${count - 1} extensions; a Veo video is extended at most ${MAX_EXTENSIONS} times, to ${MAX_EXTENDED_SECONDS} s.`
    )
  }
  const prompt = instance.prompt
  if (prompt !== undefined && typeof prompt !== "string") throw invalidArgument("`prompt` must be a string.")
  const video = await startJob(ctx, "gemini", {
    model: modelId,
    prompt: prompt ?? "",
    seconds: String(total),
    size: source.size,
    reference: undefined,
    extension: { sourceId: source.id, video: extended.video, seconds: source.seconds, count }
  })
  if (video) sendJson(ctx.res, 200, { name: operationName(modelId, video.id) })
}

const RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"

export const getOperation = async (ctx: RequestContext): Promise<void> => {
  const [modelId = "", op = ""] = ctx.params
  const found = findVideo(ctx.app, `${VIDEO_PREFIX}${op}`)
  if (!found || found.model !== modelId) {
    throw googleError(404, "NOT_FOUND", `Operation models/${modelId}/operations/${op} not found.`)
  }
  const name = operationName(modelId, found.id)
  const outcome = outcomeOf(ctx.app, found)
  switch (outcome.kind) {
    case "running":
      return sendJson(ctx.res, 200, { name })
    case "failed":
      return sendJson(ctx.res, 200, {
        name,
        done: true,
        error: { code: 13, message: "Video generation failed due to an internal error. Please try again." }
      })
    case "moderated":
      // Veo's safety filter: the operation succeeds with no samples and a filtered count.
      return sendJson(ctx.res, 200, {
        name,
        done: true,
        response: {
          "@type": RESPONSE_TYPE,
          generateVideoResponse: {
            raiMediaFilteredCount: 1,
            raiMediaFilteredReasons: ["The video could not be generated because it violates the usage guidelines."]
          }
        }
      })
    case "completed":
      return sendJson(ctx.res, 200, {
        name,
        done: true,
        response: {
          "@type": RESPONSE_TYPE,
          generateVideoResponse: {
            generatedSamples: [{ video: { uri: `${originOf(ctx.req)}${PREFIX}/files/${op}:download?alt=media` } }]
          }
        }
      })
  }
}

export const download = (ctx: RequestContext): Promise<void> => {
  const file = ctx.params[0] ?? ""
  return sendClip(ctx, `${VIDEO_PREFIX}${file}`, () => fileNotFound(file))
}

const ID = "([A-Za-z0-9._-]+)"
const route = (method: string, path: string, handler: DialectRoute["handler"]): DialectRoute => ({
  method,
  pattern: new RegExp(`^${PREFIX}${path.replace(/\{[a-z]+\}/g, ID)}$`),
  name: `${method} ${PREFIX}${path}`,
  handler,
  authenticated: true
})

export const gemini: Dialect = {
  name: "gemini",
  prefix: PREFIX,
  routes: [
    route("POST", "/models/{model}:predictLongRunning", predictLongRunning),
    route("GET", "/models/{model}/operations/{operation}", getOperation),
    route("GET", "/files/{file}:download", download)
  ],
  authenticate,
  rateLimited,
  serverError,
  notFound: (method, path) =>
    googleError(404, "NOT_FOUND", `The requested URL ${method} ${path} was not found on this server.`)
}
