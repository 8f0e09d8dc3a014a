/**
 * Streaming multipart/form-data parsing with busboy. File parts go straight to disk so an upload
 * never sits in memory; plain and bracketed field names (`input_reference[image_url]`) are kept
 * verbatim for the validator to interpret.
 */
import { createWriteStream } from "node:fs"
import type { IncomingMessage } from "node:http"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import busboy from "busboy"
import { type ApiError, badRequest } from "./ApiError.ts"
import { fileId } from "./Ids.ts"

export interface UploadedFile {
  readonly field: string
  readonly path: string
  readonly filename: string
  readonly mimeType: string
  readonly bytes: number
}

export interface MultipartBody {
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly files: ReadonlyArray<UploadedFile>
}

const MAX_FILE_BYTES = 50 * 1024 * 1024

export const parseMultipart = (req: IncomingMessage, uploadDir: string): Promise<MultipartBody> =>
  new Promise((resolve, reject) => {
    let bb: busboy.Busboy
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: MAX_FILE_BYTES, fieldSize: 30 * 1024 * 1024 } })
    } catch {
      reject(badRequest("Could not parse multipart form: missing or malformed boundary.", null, "invalid_multipart"))
      return
    }
    const fields: Array<readonly [string, string]> = []
    const files: Array<UploadedFile> = []
    const writes: Array<Promise<void>> = []
    let failed: ApiError | undefined
    bb.on("field", (name, value) => fields.push([name, value]))
    bb.on("file", (field, stream, info) => {
      const path = join(uploadDir, `upload-${fileId()}`)
      let bytes = 0
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length
      })
      stream.on("limit", () => {
        failed = badRequest(`File '${field}' is too large (max ${MAX_FILE_BYTES} bytes).`, field, "file_too_large")
      })
      writes.push(
        pipeline(stream, createWriteStream(path)).then(() => {
          files.push({ field, path, filename: info.filename, mimeType: info.mimeType, bytes })
        })
      )
    })
    bb.on("error", () => reject(badRequest("Could not parse multipart form.", null, "invalid_multipart")))
    bb.on("close", () => {
      Promise.all(writes).then(
        () => (failed ? reject(failed) : resolve({ fields, files })),
        () => reject(badRequest("Could not read uploaded file.", null, "invalid_multipart"))
      )
    })
    req.pipe(bb)
  })
