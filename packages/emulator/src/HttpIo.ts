/**
 * Small request/response helpers over Node's http: JSON in and out, the error envelope, and
 * streaming a file with the download faults (cut connection, throttling).
 */
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { ApiError, badRequest, envelope, invalidJsonBody, requestTooLarge } from "./ApiError.ts"
import { parseRange } from "./ByteRange.ts"

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

/** Reads a body of at most `maxBytes` into memory; refuses early (without destroying the socket) beyond. */
const readBody = (req: IncomingMessage, maxBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      req.off("data", onData)
      chunks.length = 0
      reject(requestTooLarge(maxBytes))
    }
    req.on("data", onData)
    req.once("end", () => resolve(Buffer.concat(chunks)))
    req.once("error", reject)
    req.once("close", () => {
      if (!req.complete) reject(badRequest("The request body ended early.", null, "invalid_request_body"))
    })
  })

export const readJson = async (req: IncomingMessage, maxBytes: number): Promise<unknown> => {
  const text = (await readBody(req, maxBytes)).toString("utf8")
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

/** A validator for `If-Range`: changes whenever the file does. */
const etagOf = (size: number, mtimeMs: number): string => `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`

/**
 * Streams a file (never buffered whole), honouring `Range` (ByteRange.ts) and `If-Range`, and
 * applying the download faults to whatever body is sent (a slice included).
 */
export const sendFile = async (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  mime: string,
  faults: DownloadFaults
): Promise<void> => {
  const { size, mtime, mtimeMs } = await stat(path)
  const etag = etagOf(size, mtimeMs)
  const lastModified = mtime.toUTCString()
  const ifRange = req.headers["if-range"]
  const rangeApplies = ifRange === undefined || ifRange === etag || ifRange === lastModified
  const range = rangeApplies ? parseRange(req.headers.range, size) : ({ _tag: "Whole" } as const)
  const common = { "accept-ranges": "bytes", etag, "last-modified": lastModified }
  if (range._tag === "Unsatisfiable") {
    const e = badRequest(
      `Requested range not satisfiable: the content is ${size} bytes.`,
      "range",
      "range_not_satisfiable"
    )
    sendJson(res, 416, envelope(e), { ...common, "content-range": `bytes */${size}` })
    return
  }
  const start = range._tag === "Slice" ? range.start : 0
  const end = range._tag === "Slice" ? range.end : size - 1
  res.writeHead(range._tag === "Slice" ? 206 : 200, {
    ...common,
    "content-type": mime,
    "content-length": end - start + 1,
    ...(range._tag === "Slice" ? { "content-range": `bytes ${start}-${end}/${size}` } : {})
  })
  if (size === 0) return void res.end()
  await streamBody(res, createReadStream(path, { start, end, highWaterMark: 64 * 1024 }), faults)
}

const streamBody = async (
  res: ServerResponse,
  source: AsyncIterable<Buffer>,
  faults: DownloadFaults
): Promise<void> => {
  let sent = 0
  const rate = faults.bytesPerSecond
  const slice = rate ? Math.max(1, Math.floor(rate / 10)) : undefined
  const startedAt = Date.now()
  for await (const chunk of source) {
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
      // Paced by the clock, not by a fixed sleep per piece: the file's read chunks (64 kB) are smaller than a
      // tenth of a fast rate, and a sleep per chunk would cap every rate at about 640 kB/s.
      if (rate) await sleep(Math.max(0, startedAt + (sent / rate) * 1000 - Date.now()))
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
