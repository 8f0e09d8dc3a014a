/**
 * Handlers for the Videos API: create (JSON or multipart), retrieve, list, delete, content, remix.
 */
import { rm } from "node:fs/promises"
import { badRequest, contentExpired, invalidType, invalidValue, notReady } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"
import { contentType, readJson, sendFile, sendJson } from "./HttpIo.ts"
import { parseSize } from "./Models.ts"
import { type MultipartBody, parseMultipart } from "./Multipart.ts"
import { checkDimensions, checkMime, fetchImageUrl, type ReferenceFile } from "./Reference.ts"
import { type CreateRequest, checkCreate, checkRemix, fromJson, fromMultipart } from "./Validation.ts"

const readCreateBody = async (ctx: RequestContext): Promise<{ request: CreateRequest; body?: MultipartBody }> => {
  const type = contentType(ctx.req)
  if (type === "multipart/form-data") {
    const body = await parseMultipart(ctx.req, ctx.app.uploadDir, ctx.app.limits)
    try {
      return { request: checkCreate(fromMultipart(body), ctx.app.models), body }
    } catch (e) {
      await Promise.all(body.files.map((f) => rm(f.path, { force: true })))
      throw e
    }
  }
  if (type === "application/json" || type === "") {
    return { request: checkCreate(fromJson(await readJson(ctx.req, ctx.app.limits.maxJsonBytes)), ctx.app.models) }
  }
  throw badRequest(
    `Unsupported content type: '${type}'. This API method only accepts 'application/json' and 'multipart/form-data' requests.`,
    null,
    "unsupported_content_type"
  )
}

/** The reference's file; `transient` when it belongs to this request (removed if the request fails). */
const resolveReference = async (
  ctx: RequestContext,
  request: CreateRequest
): Promise<(ReferenceFile & { readonly transient: boolean }) | undefined> => {
  const ref = request.reference
  if (!ref) return undefined
  switch (ref.kind) {
    case "upload":
      return { path: ref.file.path, mimeType: ref.file.mimeType, transient: true }
    case "image_url":
      return { ...(await fetchImageUrl(ref.url, ctx.app.uploadDir, ctx.app.limits)), transient: true }
    case "file_id": {
      const stored = ctx.app.files.get(ref.id)
      if (!stored) {
        throw badRequest(
          `Invalid 'input_reference.file_id': no file with id '${ref.id}'.`,
          "input_reference.file_id",
          "invalid_value"
        )
      }
      return { path: stored.path, mimeType: stored.mimeType, transient: false }
    }
  }
}

const checkReference = async (request: CreateRequest, file: ReferenceFile): Promise<void> => {
  checkMime(file.mimeType)
  const { width, height } = parseSize(request.size)
  await checkDimensions(file, width, height)
}

export const create = async (ctx: RequestContext): Promise<void> => {
  const { request, body } = await readCreateBody(ctx)
  // Files this request brought: moved into the job when it is created, removed on any refusal.
  const transient = new Set(body?.files.map((f) => f.path))
  try {
    const reference = await resolveReference(ctx, request)
    if (reference?.transient) transient.add(reference.path)
    if (reference) await checkReference(request, reference)
    ctx.app.store.checkCapacity(ctx.key)
    const fate = ctx.app.faults.stuck(ctx.faults)
      ? "stuck"
      : ctx.app.faults.moderation(ctx.faults)
        ? "moderation"
        : "normal"
    const video = await ctx.app.store.create({
      key: ctx.key,
      model: request.model,
      prompt: request.prompt,
      seconds: request.seconds,
      size: request.size,
      reference: reference && { path: reference.path, transient: reference.transient },
      remixedFrom: null,
      fate,
      ending: ctx.app.faults.clipEnding(ctx.faults)
    })
    if (reference?.transient) transient.delete(reference.path)
    ctx.app.creates++
    if (ctx.app.faults.loseCreateResponse(ctx.faults)) {
      // The job exists and will be billed, but the client never hears about it.
      ctx.req.socket.destroy()
      return
    }
    sendJson(ctx.res, 200, video)
  } finally {
    await Promise.all([...transient].map((path) => rm(path, { force: true })))
  }
}

/**
 * `openai-poll-after-ms`: the wait openai-python's `videos.poll` (and the other SDK poll helpers)
 * reads from a retrieve answer: the job's remaining simulated time, at least POLL_FLOOR_MS (the
 * real render may still be running when it is up); the SDK's own default for a job that never ends.
 */
const POLL_FLOOR_MS = 50
const POLL_UNKNOWN_MS = 1000
const POLL_HEADER = "openai-poll-after-ms"

export const retrieve = async (ctx: RequestContext): Promise<void> => {
  const id = ctx.params[0] ?? ""
  const video = ctx.app.store.retrieve(id)
  if (video.status !== "queued" && video.status !== "in_progress") return sendJson(ctx.res, 200, video)
  const remaining = ctx.app.store.remainingMs(id)
  const wait = remaining === undefined ? POLL_UNKNOWN_MS : Math.max(POLL_FLOOR_MS, Math.ceil(remaining))
  sendJson(ctx.res, 200, video, { [POLL_HEADER]: String(wait) })
}

export const list = async (ctx: RequestContext): Promise<void> => {
  const q = ctx.url.searchParams
  for (const key of q.keys())
    if (!["after", "limit", "order"].includes(key))
      throw badRequest(`Unknown parameter: '${key}'.`, key, "unknown_parameter")
  const limitRaw = q.get("limit")
  let limit = 20
  if (limitRaw !== null) {
    if (!/^\d+$/.test(limitRaw)) throw invalidType("limit", "an integer", limitRaw)
    limit = Number(limitRaw)
    if (limit > 100) {
      throw badRequest(
        `Invalid 'limit': integer above maximum value. Expected a value <= 100, but got ${limit} instead.`,
        "limit",
        "integer_above_max_value"
      )
    }
  }
  const order = q.get("order") ?? "desc"
  if (order !== "asc" && order !== "desc") throw invalidValue("order", order, ["asc", "desc"])
  sendJson(ctx.res, 200, ctx.app.store.list({ after: q.get("after") ?? undefined, limit, order }))
}

export const remove = async (ctx: RequestContext): Promise<void> =>
  sendJson(ctx.res, 200, await ctx.app.store.delete(ctx.params[0] ?? ""))

const VARIANTS = { video: "video/mp4", thumbnail: "image/webp", spritesheet: "image/jpeg" } as const

export const content = async (ctx: RequestContext): Promise<void> => {
  // On every content answer, errors included: clients probe for range support with any of them.
  ctx.res.setHeader("accept-ranges", "bytes")
  const variant = ctx.url.searchParams.get("variant") ?? "video"
  if (!(variant in VARIANTS)) throw invalidValue("variant", variant, Object.keys(VARIANTS))
  const v = variant as keyof typeof VARIANTS
  const path = ctx.app.store.content(ctx.params[0] ?? "", v)
  if (path === "not-ready") throw notReady()
  if (path === "expired") throw contentExpired(ctx.params[0] ?? "")
  await sendFile(ctx.req, ctx.res, path, VARIANTS[v], {
    dropAfterBytes: ctx.app.faults.dropDownload(ctx.faults),
    bytesPerSecond: ctx.app.faults.slowDownload(ctx.faults)
  })
}

export const remix = async (ctx: RequestContext): Promise<void> => {
  const prompt = checkRemix(await readJson(ctx.req, ctx.app.limits.maxJsonBytes))
  const sourceId = ctx.params[0] ?? ""
  const source = ctx.app.store.requireCompleted(sourceId)
  ctx.app.store.checkCapacity(ctx.key)
  const video = await ctx.app.store.create({
    key: ctx.key,
    model: source.model,
    prompt,
    seconds: source.seconds,
    size: source.size,
    reference: undefined,
    remixedFrom: sourceId,
    fate: ctx.app.faults.moderation(ctx.faults) ? "moderation" : "normal"
  })
  ctx.app.creates++
  sendJson(ctx.res, 200, video)
}
