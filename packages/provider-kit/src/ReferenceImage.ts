/**
 * The first-frame image, read and checked before upload. SDKs send a part without a type as
 * `application/octet-stream`, which APIs reject, so the MIME type is derived from the file's
 * magic bytes (falling back to its extension). Providers that want the pixel size to equal the
 * video `size` exactly check it with `dimensions` rather than paying a round trip for the 400.
 */
import { readFile } from "node:fs/promises"
import { Errors } from "@longsora/core"
import { Effect } from "effect"

export type ImageType = "image/png" | "image/jpeg" | "image/webp"

export const mimeFromBytes = (bytes: Uint8Array): ImageType | undefined => {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return "image/png"
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg"
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "image/webp"
  return undefined
}

export const mimeFromName = (name: string): ImageType | undefined => {
  const ext = name.toLowerCase().split(".").pop()
  return ext === "png"
    ? "image/png"
    : ext === "jpg" || ext === "jpeg"
      ? "image/jpeg"
      : ext === "webp"
        ? "image/webp"
        : undefined
}

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to))

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8)
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)

/** Pixel dimensions from the image header, or `undefined` when the format is not understood. */
export const dimensions = (bytes: Uint8Array, type: ImageType): { width: number; height: number } | undefined => {
  if (type === "image/png") {
    return bytes.length >= 24 ? { width: u32be(bytes, 16), height: u32be(bytes, 20) } : undefined
  }
  if (type === "image/jpeg") {
    // Walk the segments to the first start-of-frame marker (SOF0..SOF15 except DHT/JPG/DAC).
    let i = 2
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return undefined
      const marker = bytes[i + 1]!
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: u16be(bytes, i + 5), width: u16be(bytes, i + 7) }
      }
      i += 2 + u16be(bytes, i + 2)
    }
    return undefined
  }
  const chunk = ascii(bytes, 12, 16)
  if (chunk === "VP8X" && bytes.length >= 30) return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 }
  if (chunk === "VP8 " && bytes.length >= 30)
    return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff }
  if (chunk === "VP8L" && bytes.length >= 25) {
    const bits = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 }
  }
  return undefined
}

/** Why an image file cannot be sent, for the caller's own error. */
export interface Unusable {
  readonly reason: string
  readonly fix: string
  readonly cause?: unknown
}

/**
 * An image file's bytes and type, or `refuse`'s error saying why it cannot be sent (unreadable, or
 * not PNG, JPEG or WebP); `what` names it in the reason ("the reference", "the image to edit").
 */
export const readImage = <E>(
  path: string,
  what: string,
  refuse: (problem: Unusable) => E
): Effect.Effect<{ bytes: Buffer; type: ImageType }, E> =>
  Effect.tryPromise({
    try: () => readFile(path),
    catch: (cause) =>
      refuse({ reason: `${what} ${path} cannot be read`, fix: "Check that the file exists and is readable.", cause })
  }).pipe(
    Effect.flatMap((bytes) => {
      const type = mimeFromBytes(bytes) ?? mimeFromName(path)
      return type
        ? Effect.succeed({ bytes, type })
        : Effect.fail(
            refuse({
              reason: `${what} ${path} is not a PNG, JPEG or WebP image`,
              fix: `Convert ${what} to PNG, JPEG or WebP.`
            })
          )
    })
  )

/** The reference's bytes and image type, or a refusal (nothing was sent) that says what to fix. */
export const read = (
  segment: number,
  path: string
): Effect.Effect<{ bytes: Buffer; type: ImageType }, Errors.GenerationError> =>
  readImage(path, "the reference", (problem) => new Errors.GenerationError({ segment, kind: "rejected", ...problem }))
