/**
 * The HTTP front: request ids, request counting, bearer auth, the request-level faults
 * (rate limit, 5xx), routing, and turning thrown ApiErrors into the OpenAI error envelope.
 */

import type { IncomingMessage, ServerResponse } from "node:http"
import { ApiError, badKey, missingKey, notFound, rateLimited, requestTooLarge, serverError } from "./ApiError.ts"
import type { App, RequestContext } from "./AppContext.ts"
import { dispatch } from "./Dialects.ts"
import * as Extensions from "./Extensions.ts"
import { fal } from "./FalApi.ts"
import * as FalImages from "./FalImages.ts"
import { fromHeader, HEADER } from "./Faults.ts"
import * as FilesApi from "./FilesApi.ts"
import { gemini } from "./GeminiApi.ts"
import * as GeminiImages from "./GeminiImages.ts"
import { sendError } from "./HttpIo.ts"
import { requestId } from "./Ids.ts"
import * as ImagesApi from "./ImagesApi.ts"
import * as ResponsesApi from "./ResponsesApi.ts"
import * as VideosApi from "./VideosApi.ts"
import { xai } from "./XaiApi.ts"

type Handler = (ctx: RequestContext) => Promise<void>

interface Route {
  readonly method: string
  readonly pattern: RegExp
  /** Route name used as the `requestsByRoute` key. */
  readonly name: string
  readonly handler: Handler
}

const ID = "([A-Za-z0-9_-]+)"
const route = (method: string, path: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replace("{id}", ID)}/?$`),
  name: `${method} ${path}`,
  handler
})

const ROUTES: ReadonlyArray<Route> = [
  route("POST", "/v1/videos", VideosApi.create),
  route("GET", "/v1/videos", VideosApi.list),
  route("GET", "/v1/videos/{id}", VideosApi.retrieve),
  route("DELETE", "/v1/videos/{id}", VideosApi.remove),
  route("GET", "/v1/videos/{id}/content", VideosApi.content),
  route("POST", "/v1/videos/{id}/remix", VideosApi.remix),
  route("POST", "/v1/videos/extensions", Extensions.extend),
  route("POST", "/v1/responses", ResponsesApi.create),
  route("POST", "/v1/files", FilesApi.upload),
  route("POST", "/v1/images/generations", ImagesApi.generate),
  route("POST", "/v1/images/edits", ImagesApi.edit)
]

// The image routes live in their own modules; each dialect's auth, faults and errors apply to them.
const DIALECTS = [
  { ...gemini, routes: [...gemini.routes, ...GeminiImages.routes] },
  { ...fal, routes: [...fal.routes, ...FalImages.routes] },
  xai
]

export interface RequestCounters {
  requests: number
  readonly byRoute: Record<string, number>
}

const bearer = (req: IncomingMessage): string | undefined => {
  const h = req.headers.authorization
  if (!h) return undefined
  const m = /^Bearer\s+(.+)$/i.exec(h.trim())
  return m ? (m[1] ?? "").trim() : ""
}

/** Best-effort model name for the rate-limit message, without consuming the body. */
const modelFor = (name: string): string =>
  name.includes("/responses") ? "gpt-5" : name.includes("/images") ? "gpt-image-1.5" : "sora-2"

export const makeHandler =
  (app: App, apiKey: string, counters: RequestCounters) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://emulator.local")
    // Gemini (/v1beta), fal (/fal) and xAI (/xai) speak their own auth, headers and error shapes.
    if (await dispatch(DIALECTS, app, apiKey, counters, req, res, url)) return
    res.setHeader("x-request-id", requestId())
    res.setHeader("openai-processing-ms", "1")
    const method = req.method ?? "GET"
    let params: ReadonlyArray<string> = []
    const matched = ROUTES.find((r) => {
      if (r.method !== method) return false
      const m = r.pattern.exec(url.pathname)
      if (m) params = m.slice(1)
      return m !== null
    })
    counters.requests++
    const name = matched?.name ?? "unmatched"
    counters.byRoute[name] = (counters.byRoute[name] ?? 0) + 1
    try {
      const key = bearer(req)
      if (key === undefined || key === "") throw missingKey()
      if (key !== apiKey) throw badKey(key)
      const faults = fromHeader(req.headers[HEADER])
      const retryAfterMs = app.faults.rateLimit(faults)
      if (retryAfterMs !== undefined) throw rateLimited(modelFor(name), retryAfterMs)
      const status = app.faults.serverError(faults)
      if (status !== undefined) throw serverError(status)
      if (!matched) throw notFound(`Invalid URL (${method} ${url.pathname})`)
      if (Number(req.headers["content-length"] ?? 0) > app.limits.maxBodyBytes) {
        throw requestTooLarge(app.limits.maxBodyBytes)
      }
      await matched.handler({ app, req, res, url, key, faults, params })
    } catch (e) {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (e instanceof ApiError) {
        sendError(res, e)
      } else {
        console.error("[emulator] unexpected error", e)
        sendError(res, serverError(500))
      }
    } finally {
      if (!req.complete) drain(req, app.limits.maxBodyBytes)
    }
  }

/**
 * Reads and drops the rest of a body the handler refused, so the client (still sending) gets to read
 * the answer and a keep-alive connection stays usable; beyond `maxBytes` the connection is cut instead.
 */
const drain = (req: IncomingMessage, maxBytes: number): void => {
  let dropped = 0
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length
    if (dropped > maxBytes) req.socket.destroy()
  })
  req.resume()
}
