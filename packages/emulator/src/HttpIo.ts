/**
 * Small request/response helpers over Node's http: JSON in and out, the error envelope, and
 * streaming a file with the download faults (cut connection, throttling).
 */
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { ApiError, badRequest, envelope, invalidJsonBody } from "./ApiError.ts"

const MAX_JSON_BYTES = 32 * 1024 * 1024

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text)
  })
  res.end(text)
}

export const sendError = (res: ServerResponse, e: ApiError): void =>
  sendJson(res, e.status, envelope(e), e.headers ?? {})

export const contentType = (req: IncomingMessage): string =>
  (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? ""

export const readJson = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_JSON_BYTES) throw badRequest("Request body too large.", null, "request_too_large")
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString("utf8")
  if (text.trim() === "") throw invalidJsonBody()
  try {
    return JSON.parse(text)
  } catch {
    throw invalidJsonBody()
  }
}

export interface DownloadFaults {
  /** Destroy the socket after this many body bytes. */
  readonly dropAfterBytes: number | undefined
  /** Throttle the body to this rate. */
  readonly bytesPerSecond: number | undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Streams a file (never buffered whole), applying download faults. */
export const sendFile = async (
  res: ServerResponse,
  path: string,
  mime: string,
  faults: DownloadFaults
): Promise<void> => {
  const { size } = await stat(path)
  res.writeHead(200, { "content-type": mime, "content-length": size })
  let sent = 0
  const slice = faults.bytesPerSecond ? Math.max(1, Math.floor(faults.bytesPerSecond / 10)) : undefined
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    let rest = chunk
    while (rest.length > 0) {
      let piece = slice ? rest.subarray(0, slice) : rest
      if (faults.dropAfterBytes !== undefined && sent + piece.length >= faults.dropAfterBytes) {
        piece = piece.subarray(0, Math.max(0, faults.dropAfterBytes - sent))
        if (piece.length > 0) await write(res, piece)
        // Let the partial body reach the client before cutting the connection.
        await sleep(20)
        res.socket?.destroy()
        return
      }
      rest = rest.subarray(piece.length)
      sent += piece.length
      const ok = await write(res, piece)
      if (!ok) return
      if (slice) await sleep(100)
    }
  }
  res.end()
}

/** Writes respecting backpressure; false when the client went away. */
const write = (res: ServerResponse, chunk: Buffer): Promise<boolean> =>
  new Promise((resolve) => {
    if (res.destroyed) return resolve(false)
    if (res.write(chunk)) return resolve(true)
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain)
      res.off("close", onClose)
      resolve(ok)
    }
    const onDrain = done(true)
    const onClose = done(false)
    res.once("drain", onDrain)
    res.once("close", onClose)
  })

export const asApiError = (e: unknown): ApiError | undefined => (e instanceof ApiError ? e : undefined)
