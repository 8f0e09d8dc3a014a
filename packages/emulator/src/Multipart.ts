/**
 * Streaming multipart/form-data parsing with busboy. File parts go straight to disk so an upload
 * never sits in memory; plain and bracketed field names (`input_reference[image_url]`) are kept
 * verbatim for the validator to interpret. Every bound of Limits.ts is enforced as the bytes arrive,
 * and a refused or broken body (too large, too many parts, truncated, client gone) leaves no file
 * behind.
 */
import { createWriteStream, type WriteStream } from "node:fs"
import { mkdir, rm } from "node:fs/promises"
import type { IncomingMessage } from "node:http"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import busboy from "busboy"
import { type ApiError, badRequest, requestTooLarge } from "./ApiError.ts"
import { fileId } from "./Ids.ts"
import type { Limits } from "./Limits.ts"

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

const invalid = (why: string) => badRequest(`Could not parse multipart form: ${why}.`, null, "invalid_multipart")
const tooMany = (what: string, max: number) =>
  badRequest(`Too many ${what} in the multipart form (at most ${max}).`, null, "invalid_multipart")

export const parseMultipart = async (
  req: IncomingMessage,
  uploadDir: string,
  limits: Limits
): Promise<MultipartBody> => {
  await mkdir(uploadDir, { recursive: true })
  return parse(req, uploadDir, limits)
}

const parse = (req: IncomingMessage, uploadDir: string, limits: Limits): Promise<MultipartBody> =>
  new Promise((resolve, reject) => {
    let bb: busboy.Busboy
    try {
      bb = busboy({
        headers: req.headers,
        limits: {
          fileSize: limits.maxFileBytes,
          fieldSize: limits.maxFieldBytes,
          fields: limits.maxFields,
          files: limits.maxFiles,
          parts: limits.maxFields + limits.maxFiles,
          fieldNameSize: 256,
          headerPairs: 32
        }
      })
    } catch {
      reject(invalid("missing or malformed boundary"))
      return
    }
    const fields: Array<readonly [string, string]> = []
    /** Every file written, finished or not: all removed if the body is refused. */
    const outputs: Array<WriteStream> = []
    // In the body's order, whichever upload finishes writing first (`image[]` order matters).
    const writes: Array<Promise<UploadedFile>> = []
    let fieldBytes = 0
    let bodyBytes = 0
    let settled = false

    const fail = (error: ApiError): void => {
      if (settled) return
      settled = true
      // Not from inside busboy's own event (it still touches its state after emitting).
      setImmediate(() => {
        // Stop parsing, keep reading (the answer must reach a client still sending; Http.ts caps it).
        req.unpipe(bb)
        bb.destroy()
        req.resume()
        const closed = outputs.map((out) => new Promise((resolve) => out.close(resolve)))
        for (const out of outputs) out.destroy()
        void Promise.all(closed)
          .then(() => Promise.all(outputs.map((out) => rm(out.path, { force: true }))))
          .finally(() => reject(error))
      })
    }

    req.on("data", (chunk: Buffer) => {
      bodyBytes += chunk.length
      if (bodyBytes > limits.maxBodyBytes) fail(requestTooLarge(limits.maxBodyBytes))
    })
    // The client went away (or the request timed out) before the body was complete.
    req.on("close", () => {
      if (!req.complete) fail(invalid("the request body ended early"))
    })
    bb.on("field", (name, value, info) => {
      if (info.nameTruncated) return fail(invalid("a field name is too long"))
      if (info.valueTruncated) {
        return fail(
          badRequest(`Field '${name}' is too large (max ${limits.maxFieldBytes} bytes).`, name, "field_too_large")
        )
      }
      fieldBytes += Buffer.byteLength(value)
      if (fieldBytes > limits.maxFieldsTotalBytes) return fail(requestTooLarge(limits.maxFieldsTotalBytes))
      fields.push([name, value])
    })
    bb.on("fieldsLimit", () => fail(tooMany("fields", limits.maxFields)))
    bb.on("filesLimit", () => fail(tooMany("files", limits.maxFiles)))
    bb.on("partsLimit", () => fail(tooMany("parts", limits.maxFields + limits.maxFiles)))
    bb.on("file", (field, stream, info) => {
      if (settled) {
        stream.resume()
        return
      }
      const path = join(uploadDir, `upload-${fileId()}`)
      const out = createWriteStream(path)
      outputs.push(out)
      let bytes = 0
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length
      })
      stream.on("limit", () =>
        fail(badRequest(`File '${field}' is too large (max ${limits.maxFileBytes} bytes).`, field, "file_too_large"))
      )
      const written = pipeline(stream, out).then(
        (): UploadedFile => ({ field, path, filename: info.filename, mimeType: info.mimeType, bytes })
      )
      // After a refusal nobody awaits it; its failure (the streams were destroyed) is expected.
      written.catch(() => {})
      writes.push(written)
    })
    bb.on("error", () => fail(invalid("malformed or truncated body")))
    bb.on("close", () => {
      Promise.all(writes).then(
        (files) => {
          if (settled) return
          settled = true
          resolve({ fields, files })
        },
        () => fail(badRequest("Could not read uploaded file.", null, "invalid_multipart"))
      )
    })
    req.pipe(bb)
  })
