/** sharp helpers: fit an image (file or raw RGB frame) to an exact size, cropping from the centre. */
import { randomBytes } from "node:crypto"
import { rename, rm } from "node:fs/promises"
import * as NodePath from "node:path"
import type { Capabilities } from "@longsora/core"
import type { Sharp } from "sharp"

export type Size = Capabilities.Dimensions

/** sharp (libvips) is loaded on first use: a run needs it only after its first clip, a `--help` never. */
export const loadSharp = async () => (await import("sharp")).default

/** Cropping happens when scaling to either target side leaves the other off by more than a pixel. */
export const needsCrop = (source: Size, target: Size): boolean =>
  Math.abs((source.height * target.width) / source.width - target.height) > 1 ||
  Math.abs((source.width * target.height) / source.height - target.width) > 1

const encodeFor = (image: Sharp, destination: string): Sharp => {
  const ext = NodePath.extname(destination).toLowerCase()
  if (ext === ".png") return image.png({ compressionLevel: 6 })
  if (ext === ".webp") return image.webp({ quality: 95 })
  // A reference frame for the next segment: keep chroma at full resolution and quality high. It is uploaded at
  // once, so no optimised Huffman tables: measured at 1280x720 they cost ~90 ms (7× the encode) for a few % of size.
  return image.jpeg({ quality: 95, chromaSubsampling: "4:4:4", optimiseCoding: false })
}

/**
 * Resizes to exactly `target` (cover + centre crop) and writes `destination` via a temporary sibling and a rename,
 * so readers never see half a file. Skips resampling when the size already matches (a PNG then keeps exact pixels).
 */
export const writeFitted = async (image: Sharp, source: Size, target: Size, destination: string) => {
  const cropped = needsCrop(source, target)
  const sameSize = source.width === target.width && source.height === target.height
  const resized = sameSize ? image : image.resize(target.width, target.height, { fit: "cover", position: "centre" })
  const temporary = NodePath.join(
    NodePath.dirname(destination),
    `.${NodePath.basename(destination)}.${randomBytes(4).toString("hex")}.tmp`
  )
  try {
    await encodeFor(resized, destination).toFile(temporary)
    await rename(temporary, destination)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  return { path: destination, width: target.width, height: target.height, cropped }
}

const mimeTypes: Record<string, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  avif: "image/avif",
  heif: "image/heif",
  tiff: "image/tiff",
  svg: "image/svg+xml",
  jp2: "image/jp2",
  jxl: "image/jxl"
}

/** Size as displayed (EXIF orientation applied) and the MIME type of the actual bytes, not the file name. */
export const inspect = async (path: string) => {
  const metadata = await (await loadSharp())(path).metadata()
  const { width, height } = metadata.autoOrient ?? metadata
  const mimeType = mimeTypes[metadata.format] ?? `image/${metadata.format}`
  return { width, height, mimeType }
}

/**
 * Decodes every pixel, with the options `writeFitted`'s reads use: `metadata()` reads only the header, so a
 * truncated or corrupt image would pass it and fail mid-run instead. A resize to a few pixels streams through the
 * whole image without holding its bitmap. Not `stats()`: with several images in flight, libvips lets it succeed on
 * a truncated file about a third of the time (measured with sharp 0.35, 50 at once).
 */
export const checkDecodes = async (path: string): Promise<void> => {
  await (await loadSharp())(path).resize(8, 8, { fit: "fill" }).raw().toBuffer()
}
