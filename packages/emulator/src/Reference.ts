/**
 * The `input_reference` image: where it comes from (upload, data: URL, uploaded file id), the
 * MIME check made on the declared type (as OpenAI does, not on magic bytes), and the exact-size
 * check ("Inpaint image must match the requested width and height").
 */
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import sharp, { type Metadata } from "sharp"
import { badRequest, referenceSizeMismatch, unsupportedMime } from "./ApiError.ts"
import { fileId } from "./Ids.ts"

export const SUPPORTED_MIME = ["image/jpeg", "image/png", "image/webp", "video/mp4"] as const

export interface ReferenceFile {
  readonly path: string
  readonly mimeType: string
}

export const checkMime = (mimeType: string): void => {
  const base = mimeType.split(";")[0]?.trim().toLowerCase() ?? ""
  if (!(SUPPORTED_MIME as ReadonlyArray<string>).includes(base)) throw unsupportedMime(base || mimeType)
}

/** Decodes a `data:<mime>;base64,...` URL to a file in `dir`. */
export const fromDataUrl = async (url: string, dir: string): Promise<ReferenceFile> => {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url)
  if (!match) {
    throw badRequest(
      "Invalid 'input_reference.image_url': expected a valid data URL.",
      "input_reference.image_url",
      "invalid_value"
    )
  }
  const mimeType = match[1] || "text/plain"
  const isBase64 = (match[2] ?? "").includes(";base64")
  const payload = match[3] ?? ""
  const bytes = isBase64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "latin1")
  const path = join(dir, `ref-${fileId()}`)
  await writeFile(path, bytes)
  return { path, mimeType }
}

/** Fetches an https image URL (the real API would; offline it simply fails with a 400). */
export const fromHttpUrl = async (url: string, dir: string): Promise<ReferenceFile> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    if (!res.ok) throw new Error(String(res.status))
    const path = join(dir, `ref-${fileId()}`)
    await writeFile(path, Buffer.from(await res.arrayBuffer()))
    return { path, mimeType: res.headers.get("content-type") ?? "application/octet-stream" }
  } catch {
    throw badRequest(`Error while downloading ${url}.`, "input_reference.image_url", "invalid_image_url")
  }
}

/** Checks the image decodes and has exactly the requested pixel size. */
export const checkDimensions = async (ref: ReferenceFile, width: number, height: number): Promise<void> => {
  if (ref.mimeType.startsWith("video/")) {
    // The emulator only renders from still images; documented as a gap in the README.
    throw badRequest("The emulator supports only image input_reference files.", "input_reference", "invalid_value")
  }
  let meta: Metadata
  try {
    meta = await sharp(ref.path).metadata()
  } catch {
    throw badRequest(
      "Invalid file 'input_reference': the image could not be decoded.",
      "input_reference",
      "invalid_image"
    )
  }
  if (meta.width !== width || meta.height !== height) throw referenceSizeMismatch()
}
