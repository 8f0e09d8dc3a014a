/**
 * A create's `input_reference`, kept under `DATA_DIR/uploads/` for as long as its job: an uploaded
 * file, or an `image_url` given as a `data:` URL. Remote URLs are refused: fetching them would let
 * any caller make the server call out (and this server has no Files API for `file_id`).
 */
import { Effect, FileSystem, Path } from "effect"
import { invalidRequest } from "./ApiError.ts"
import type { UploadedFile } from "./RequestBody.ts"

const extensions: Readonly<Record<string, string>> = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/webp": ".webp"
}

const dataUrl = /^data:([\w/+.-]+);base64,(.*)$/s

/** Stores the reference for job `id`; its path, or undefined when the request has none. */
export const store = Effect.fnUntraced(function* (
  dataDir: string,
  id: string,
  file: UploadedFile | undefined,
  imageUrl: string | undefined
) {
  if (file === undefined && imageUrl === undefined) return undefined
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const directory = path.join(dataDir, "uploads")
  yield* fs.makeDirectory(directory, { recursive: true })
  if (file !== undefined) {
    const destination = path.join(directory, `${id}${extensions[file.contentType] ?? ""}`)
    yield* fs.copyFile(file.path, destination)
    return destination
  }
  const match = dataUrl.exec(imageUrl!)
  if (!match) {
    return yield* invalidRequest(
      "Invalid 'input_reference[image_url]': only data: URLs (data:image/png;base64,…) are accepted here. Upload the image as the 'input_reference' file instead of linking it.",
      "input_reference"
    )
  }
  const destination = path.join(directory, `${id}${extensions[match[1]!] ?? ""}`)
  yield* fs.writeFile(destination, new Uint8Array(Buffer.from(match[2]!, "base64")))
  return destination
})

export const remove = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.remove(file).pipe(Effect.ignore)
  })
