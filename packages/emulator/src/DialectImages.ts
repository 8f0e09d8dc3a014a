/**
 * Frame images sent to the Gemini and fal dialects (base64 bytes, `data:` URLs, https URLs),
 * written to the upload directory and decoded once to learn their size. Each dialect turns a
 * failure into its own error shape, so failures here are plain values.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import sharp from "sharp"
import { fileId } from "./Ids.ts"
import type { Limits } from "./Limits.ts"
import { fetchImageUrl } from "./Reference.ts"

export interface FrameImage {
  readonly path: string
  readonly mimeType: string
  readonly width: number
  readonly height: number
}

export type ImageFailure = { readonly failure: string }

export const IMAGE_MIME_TYPES = ["image/png", "image/jpeg", "image/webp"] as const

const isImageMime = (mime: string): boolean => (IMAGE_MIME_TYPES as ReadonlyArray<string>).includes(mime)

/** Writes bytes and checks they decode as an image of a supported type. */
export const storeImage = async (bytes: Buffer, mimeType: string, dir: string): Promise<FrameImage | ImageFailure> => {
  const mime = mimeType.split(";")[0]?.trim().toLowerCase() ?? ""
  if (!isImageMime(mime)) return { failure: `unsupported image type '${mimeType}'` }
  try {
    const meta = await sharp(bytes).metadata()
    if (!meta.width || !meta.height) return { failure: "the image has no size" }
    // The emulator makes its directories on first use.
    await mkdir(dir, { recursive: true })
    const path = join(dir, `frame-${fileId()}`)
    await writeFile(path, bytes)
    return { path, mimeType: mime, width: meta.width, height: meta.height }
  } catch {
    return { failure: "the image could not be decoded" }
  }
}

/**
 * A `data:<mime>;base64,…` URL or an https URL, fetched with the same guard as the Videos API's
 * `image_url` (public hosts only, capped size and time; offline it fails, as it would for the vendor).
 */
export const imageFromUrl = async (url: string, dir: string, limits: Limits): Promise<FrameImage | ImageFailure> => {
  const data = /^data:([^;,]*)(?:;[^;,]*)*;base64,(.*)$/s.exec(url)
  if (data) return storeImage(Buffer.from(data[2] ?? "", "base64"), data[1] ?? "", dir)
  if (!/^https:\/\//.test(url)) return { failure: "expected an https URL or a base64 data URL" }
  try {
    const file = await fetchImageUrl(url, dir, limits)
    const bytes = await readFile(file.path)
    await rm(file.path, { force: true })
    return storeImage(bytes, file.mimeType, dir)
  } catch (error) {
    return { failure: `could not download ${url}: ${(error as { message?: string }).message ?? String(error)}` }
  }
}

export const isFailure = (x: FrameImage | ImageFailure): x is ImageFailure => "failure" in x
