/**
 * `POST /v1/files`: just enough of the Files API to upload an image and use its id as
 * `input_reference[file_id]`.
 */
import { rm } from "node:fs/promises"
import { badRequest, missingParameter } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"
import { toFileObject } from "./FileStore.ts"
import { contentType, sendJson } from "./HttpIo.ts"
import { parseMultipart } from "./Multipart.ts"

export const upload = async (ctx: RequestContext): Promise<void> => {
  if (contentType(ctx.req) !== "multipart/form-data") {
    throw badRequest("This API method only accepts 'multipart/form-data' requests.", null, "unsupported_content_type")
  }
  const body = await parseMultipart(ctx.req, ctx.app.uploadDir, ctx.app.limits)
  const file = body.files.find((f) => f.field === "file")
  const purpose = body.fields.find(([k]) => k === "purpose")?.[1]
  const extra = body.files.filter((f) => f !== file)
  await Promise.all(extra.map((f) => rm(f.path, { force: true })))
  if (!file) throw missingParameter("file")
  if (!purpose) {
    await rm(file.path, { force: true })
    throw missingParameter("purpose")
  }
  sendJson(ctx.res, 200, toFileObject(ctx.app.files.add(file, purpose)))
}
