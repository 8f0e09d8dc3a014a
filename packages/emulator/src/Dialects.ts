/**
 * The vendor dialects beside the OpenAI API: Google's Gemini API (Veo long-running operations,
 * under `/v1beta`), fal's queue (under `/fal`) and xAI's video API (Grok Imagine, under `/xai/v1`). Each dialect brings its routes, its auth and
 * its error envelope; this module dispatches to them, applies the request-level faults in the
 * dialect's own shape, and starts jobs on the shared VideoStore (so renders, lifecycle, expiry and
 * `stats()` are the ones the OpenAI API has).
 */
import { randomBytes } from "node:crypto"
import { mkdir, writeFile } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { join } from "node:path"
import { Data } from "effect"
import type { App, RequestContext } from "./AppContext.ts"
import type { FalImageApp, FalModel, GeminiImageModel, VeoModel, XaiModel } from "./DialectModels.ts"
import { fromHeader, HEADER } from "./Faults.ts"
import type { RequestCounters } from "./Http.ts"
import { readJson, sendFile, sendJson } from "./HttpIo.ts"
import type { NewJob, VideoObject } from "./VideoStore.ts"

export type DialectName = "gemini" | "fal" | "xai"

/** The dialects that make images (each one billed). */
export type ImageDialect = "gemini" | "fal"

/** An error in a dialect's own envelope (Google's `{error:{code,message,status}}`, fal's `{detail}`, xAI's `{code,error}`). */
export class DialectError extends Data.TaggedError("DialectError")<{
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}> {}

/** Per-emulator state of the dialects: start counts and the faults that outlive the start request. */
export class DialectState {
  readonly creates: Record<DialectName, number> = { gemini: 0, fal: 0, xai: 0 }
  /** Images made (each one billed by the vendor), per dialect. */
  readonly images: Record<ImageDialect, number> = { gemini: 0, fal: 0 }
  /** Jobs whose failure is a generation failure (the `fail-operation` fault), not moderation. */
  readonly failing = new Set<string>()
  /** Jobs whose result URL is already expired (the `expire-result` fault). */
  readonly expired = new Set<string>()
  readonly veoModels: Readonly<Record<string, VeoModel>>
  readonly falModels: Readonly<Record<string, FalModel>>
  readonly xaiModels: Readonly<Record<string, XaiModel>>
  readonly geminiImageModels: Readonly<Record<string, GeminiImageModel>>
  readonly falImageApps: Readonly<Record<string, FalImageApp>>
  /** Where made images are kept for their URLs (fal serves them from a URL, Gemini inline). */
  readonly imageDir: string
  /** The origin fal's answers give the queue (`https://queue.fal.run`; see FalApi). */
  readonly falQueueOrigin: string

  constructor(options: {
    readonly veoModels: Readonly<Record<string, VeoModel>>
    readonly falModels: Readonly<Record<string, FalModel>>
    readonly xaiModels: Readonly<Record<string, XaiModel>>
    readonly geminiImageModels: Readonly<Record<string, GeminiImageModel>>
    readonly falImageApps: Readonly<Record<string, FalImageApp>>
    readonly imageDir: string
    readonly falQueueOrigin: string
  }) {
    this.veoModels = options.veoModels
    this.falModels = options.falModels
    this.xaiModels = options.xaiModels
    this.geminiImageModels = options.geminiImageModels
    this.falImageApps = options.falImageApps
    this.imageDir = options.imageDir
    this.falQueueOrigin = options.falQueueOrigin.replace(/\/$/, "")
  }
}

export type DialectHandler = (ctx: RequestContext) => Promise<void>

export interface DialectRoute {
  readonly method: string
  readonly pattern: RegExp
  /** The `requestsByRoute` key. */
  readonly name: string
  readonly handler: DialectHandler
  /** false for routes the vendor serves without credentials (fal's media URLs). */
  readonly authenticated: boolean
}

export interface Dialect {
  readonly name: DialectName
  /** Path prefix on the emulator, e.g. `/v1beta`. */
  readonly prefix: string
  readonly routes: ReadonlyArray<DialectRoute>
  /** The key the request carries; throws the dialect's 401/403 when missing or wrong. */
  readonly authenticate: (req: IncomingMessage, url: URL, apiKey: string) => string
  readonly rateLimited: (retryAfterMs: number) => DialectError
  readonly serverError: (status: number) => DialectError
  readonly notFound: (method: string, path: string) => DialectError
}

const sendDialectError = (res: ServerResponse, e: DialectError): void =>
  sendJson(res, e.status, e.body, e.headers ?? {})

/**
 * Serves the request if its path belongs to a dialect; false otherwise. Counts it like the OpenAI
 * routes (`requests`, `requestsByRoute`).
 */
export const dispatch = async (
  dialects: ReadonlyArray<Dialect>,
  app: App,
  apiKey: string,
  counters: RequestCounters,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL
): Promise<boolean> => {
  const dialect = dialects.find((d) => url.pathname === d.prefix || url.pathname.startsWith(`${d.prefix}/`))
  if (!dialect) return false
  const method = req.method ?? "GET"
  let params: ReadonlyArray<string> = []
  const route = dialect.routes.find((r) => {
    const m = r.method === method ? r.pattern.exec(url.pathname) : null
    if (m) params = m.slice(1)
    return m !== null
  })
  counters.requests++
  const name = route?.name ?? `${dialect.name} unmatched`
  counters.byRoute[name] = (counters.byRoute[name] ?? 0) + 1
  try {
    const key = route?.authenticated === false ? "" : dialect.authenticate(req, url, apiKey)
    const faults = fromHeader(req.headers[HEADER])
    const retryAfterMs = app.faults.rateLimit(faults)
    if (retryAfterMs !== undefined) throw dialect.rateLimited(retryAfterMs)
    const status = app.faults.serverError(faults)
    if (status !== undefined) throw dialect.serverError(status)
    if (!route) throw dialect.notFound(method, url.pathname)
    await route.handler({ app, req, res, url, key, faults, params })
  } catch (e) {
    if (res.headersSent) res.destroy()
    else if (e instanceof DialectError) sendDialectError(res, e)
    else {
      console.error(`[emulator] unexpected error in the ${dialect.name} dialect`, e)
      sendDialectError(res, dialect.serverError(500))
    }
  } finally {
    if (!req.complete) req.resume()
  }
  return true
}

export type DialectJob = Omit<NewJob, "fate" | "remixedFrom" | "key">

/**
 * Creates the job with the faults that decide its fate, and counts the start. Returns undefined
 * when the `lose-create-response` fault ate the answer: the job exists (and is counted), but the
 * socket is destroyed before a byte of the response.
 */
export const startJob = async (
  ctx: RequestContext,
  dialect: DialectName,
  job: DialectJob
): Promise<VideoObject | undefined> => {
  const { faults } = ctx
  const app = ctx.app
  ctx.app.store.checkCapacity(ctx.key)
  const failOperation = app.faults.failOperation(faults)
  const fate = app.faults.stuck(faults)
    ? "stuck"
    : failOperation || app.faults.moderation(faults)
      ? "moderation"
      : "normal"
  const video = await app.store.create({ ...job, key: ctx.key, remixedFrom: null, fate })
  app.creates++
  app.dialects.creates[dialect]++
  if (failOperation) app.dialects.failing.add(video.id)
  if (app.faults.expireResult(faults)) app.dialects.expired.add(video.id)
  if (app.faults.loseCreateResponse(faults)) {
    ctx.req.socket.destroy()
    return undefined
  }
  return video
}

/**
 * Keeps an image made for a dialect (a file in the image directory, so the data directory counts
 * it across processes: `readDataDir`) and counts it; returns its id.
 */
export const keepImage = async (
  ctx: RequestContext,
  dialect: ImageDialect,
  bytes: Buffer,
  format: "png" | "jpeg"
): Promise<string> => {
  const id = randomBytes(12).toString("hex")
  await mkdir(ctx.app.dialects.imageDir, { recursive: true })
  await writeFile(join(ctx.app.dialects.imageDir, `${id}.${format}`), bytes)
  ctx.app.dialects.images[dialect]++
  return id
}

/** Whether to answer an image request: false when the `lose-create-response` fault ate the answer. */
export const answerLost = (ctx: RequestContext): boolean => {
  if (!ctx.app.faults.loseCreateResponse(ctx.faults)) return false
  ctx.req.socket.destroy()
  return true
}

/** How a finished job presents to a dialect. */
export type Outcome =
  | { readonly kind: "running"; readonly video: VideoObject }
  | { readonly kind: "completed"; readonly video: VideoObject }
  | { readonly kind: "failed"; readonly video: VideoObject }
  | { readonly kind: "moderated"; readonly video: VideoObject }

export const outcomeOf = (app: App, video: VideoObject): Outcome => {
  if (video.status === "completed") return { kind: "completed", video }
  if (video.status === "failed") {
    const moderated = video.error?.code === "moderation_blocked" && !app.dialects.failing.has(video.id)
    return { kind: moderated ? "moderated" : "failed", video }
  }
  return { kind: "running", video }
}

/** The MP4 of a completed job, or why there is none. */
export const mediaOf = (app: App, id: string): string | "not-ready" | "expired" =>
  app.dialects.expired.has(id) ? "expired" : app.store.content(id, "video")

/** `http://host:port` as the client addressed the emulator (so result URLs are same-origin). */
export const originOf = (req: IncomingMessage): string => `http://${req.headers.host ?? "127.0.0.1"}`

/** The job, or undefined when there is none with this id (the store itself throws OpenAI's 404). */
export const findVideo = (app: App, id: string): VideoObject | undefined => {
  try {
    return app.store.retrieve(id)
  } catch {
    return undefined
  }
}

/**
 * The request's body as a JSON object, within the emulator's limit; else the dialect's own error for a body that
 * does not parse (`unparsable`) or is not an object (`notObject`).
 */
export const readJsonObject = async (
  ctx: RequestContext,
  errors: { readonly unparsable: () => DialectError; readonly notObject: () => DialectError }
): Promise<Record<string, unknown>> => {
  let body: unknown
  try {
    body = await readJson(ctx.req, ctx.app.limits.maxJsonBytes)
  } catch {
    throw errors.unparsable()
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.notObject()
  return body as Record<string, unknown>
}

/**
 * Sends job `id`'s MP4 (a dialect's result URL), with the download faults; `gone` is the dialect's error for a
 * clip that is not there (unknown, not rendered yet, or expired).
 */
export const sendClip = async (ctx: RequestContext, id: string, gone: () => DialectError): Promise<void> => {
  const path = findVideo(ctx.app, id) ? mediaOf(ctx.app, id) : "expired"
  if (path === "expired" || path === "not-ready") throw gone()
  await sendFile(ctx.req, ctx.res, path, "video/mp4", {
    dropAfterBytes: ctx.app.faults.dropDownload(ctx.faults),
    bytesPerSecond: ctx.app.faults.slowDownload(ctx.faults)
  })
}
