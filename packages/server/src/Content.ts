/**
 * Serving a job's files with `Range` honoured (RFC 9110): one byte range answers 206 with
 * `Content-Range`, a range past the end answers 416, anything else the whole file; every answer
 * says `Accept-Ranges: bytes`.
 */
import { Effect, FileSystem } from "effect"
import { HttpServerResponse } from "effect/http"
import { ApiError, notFound } from "./ApiError.ts"

export type ByteRange = { readonly start: number; readonly end: number }

/**
 * The range asked for in a `Range` header of a file of `size` bytes: a range, `"unsatisfiable"`, or
 * undefined for the whole file (no header, several ranges, or one that cannot be read).
 */
export const parseRange = (header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined => {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === "" && match[2] === "")) return undefined
  if (match[1] === "") {
    const suffix = Number(match[2])
    if (suffix === 0) return "unsatisfiable"
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1)
  if (match[2] !== "" && Number(match[2]) < start) return undefined
  if (start >= size) return "unsatisfiable"
  return { start, end }
}

export const serveFile = (file: string, contentType: string, rangeHeader: string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs
      .stat(file)
      .pipe(
        Effect.mapError(() =>
          notFound("This video has no such content (it could not be made); the video itself may still be there.")
        )
      )
    const size = Number(info.size)
    const range = parseRange(rangeHeader, size)
    const common = { "accept-ranges": "bytes" }
    if (range === "unsatisfiable") {
      return yield* new ApiError({
        status: 416,
        message: `The range '${rangeHeader}' is outside the file (${size} bytes).`,
        type: "invalid_request_error",
        param: null,
        code: "range_not_satisfiable",
        headers: { ...common, "content-range": `bytes */${size}` }
      })
    }
    if (range === undefined) {
      return yield* HttpServerResponse.file(file, { contentType, headers: common })
    }
    return yield* HttpServerResponse.file(file, {
      status: 206,
      contentType,
      offset: range.start,
      bytesToRead: range.end - range.start + 1,
      headers: { ...common, "content-range": `bytes ${range.start}-${range.end}/${size}` }
    })
  })
