/**
 * `POST /v1/videos/extensions` (openai `videos.extend`): `{prompt, seconds, video: {id}}` as JSON or
 * multipart (`video[id]`). The contract: the source must be a completed video; each extension adds
 * 4, 8, 12, 16 or 20 s; at most 6 extensions of one video and 120 s in all; no image references.
 * The new job renders the new part from the source's exact last frame, with the motion going on
 * where it stopped, and its video is the source and the new part stitched: its `seconds` is the
 * total. An uploaded video (for eligible customers only, in the contract) is refused.
 */
import { rm } from "node:fs/promises"
import { badRequest, invalidType, invalidValue, missingParameter, unknownParameter } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"
import { contentType, readJson, sendJson } from "./HttpIo.ts"
import { parseMultipart } from "./Multipart.ts"
import { checkPrompt } from "./Validation.ts"

export const EXTENSION_SECONDS = ["4", "8", "12", "16", "20"]
export const MAX_EXTENSIONS = 6
export const MAX_TOTAL_SECONDS = 120

const KEYS = ["prompt", "seconds", "video"]

interface ExtendRequest {
  readonly prompt: string
  readonly seconds: string
  readonly videoId: string
}

const check = (values: Readonly<Record<string, unknown>>): ExtendRequest => {
  for (const key of Object.keys(values)) if (!KEYS.includes(key)) throw unknownParameter(key)
  const prompt = checkPrompt(values.prompt)
  const seconds = values.seconds
  if (seconds === undefined) throw missingParameter("seconds")
  if (typeof seconds !== "string") throw invalidType("seconds", "a string", seconds)
  if (!EXTENSION_SECONDS.includes(seconds)) throw invalidValue("seconds", seconds, EXTENSION_SECONDS)
  const video = values.video
  if (video === undefined) throw missingParameter("video")
  if (typeof video !== "object" || video === null || Array.isArray(video))
    throw invalidType("video", "an object", video)
  for (const key of Object.keys(video)) if (key !== "id") throw unknownParameter(`video.${key}`)
  const id = (video as Record<string, unknown>).id
  if (id === undefined) throw missingParameter("video.id")
  if (typeof id !== "string") throw invalidType("video.id", "a string", id)
  return { prompt, seconds, videoId: id }
}

const readBody = async (ctx: RequestContext): Promise<ExtendRequest> => {
  const type = contentType(ctx.req)
  if (type === "multipart/form-data") {
    const body = await parseMultipart(ctx.req, ctx.app.uploadDir, ctx.app.limits)
    await Promise.all(body.files.map((f) => rm(f.path, { force: true })))
    if (body.files.length > 0) {
      throw badRequest(
        'Uploading a video to extend is not available for this organization; pass \'video\' as {"id": "video_..."}.',
        "video",
        "invalid_value"
      )
    }
    const values: Record<string, unknown> = {}
    for (const [name, value] of body.fields) {
      const nested = /^video\[([^[\]]+)\]$/.exec(name)
      if (nested) values.video = { ...(values.video as object | undefined), [nested[1] ?? ""]: value }
      else values[name] = value
    }
    return check(values)
  }
  if (type === "application/json" || type === "") {
    const body = await readJson(ctx.req, ctx.app.limits.maxJsonBytes)
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw badRequest("Invalid request body: expected a JSON object.", null, "invalid_type")
    }
    return check(body as Record<string, unknown>)
  }
  throw badRequest(
    `Unsupported content type: '${type}'. This API method only accepts 'application/json' and 'multipart/form-data' requests.`,
    null,
    "unsupported_content_type"
  )
}

export const extend = async (ctx: RequestContext): Promise<void> => {
  const request = await readBody(ctx)
  const source = ctx.app.store.extensionSource(request.videoId)
  if (source.extensions >= MAX_EXTENSIONS) {
    throw badRequest(
      `Video '${request.videoId}' has already been extended ${source.extensions} times; a video can be extended at most ${MAX_EXTENSIONS} times.`,
      "video",
      "invalid_value"
    )
  }
  const total = Number(source.seconds) + Number(request.seconds)
  if (total > MAX_TOTAL_SECONDS) {
    throw badRequest(
      `Invalid 'seconds': extending a ${source.seconds} s video by ${request.seconds} s would make ${total} s; an extended video lasts at most ${MAX_TOTAL_SECONDS} s.`,
      "seconds",
      "invalid_value"
    )
  }
  ctx.app.store.checkCapacity(ctx.key)
  const video = await ctx.app.store.create({
    key: ctx.key,
    model: source.model,
    prompt: request.prompt,
    seconds: String(total),
    size: source.size,
    reference: undefined,
    remixedFrom: null,
    fate: ctx.app.faults.moderation(ctx.faults) ? "moderation" : "normal",
    extension: { sourceId: request.videoId, video: source.video, seconds: source.seconds, count: source.extensions + 1 }
  })
  ctx.app.creates++
  if (ctx.app.faults.loseCreateResponse(ctx.faults)) {
    ctx.req.socket.destroy()
    return
  }
  sendJson(ctx.res, 200, video)
}
