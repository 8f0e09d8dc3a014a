/**
 * Writing a clip to disk without ever leaving a half-written file at its destination, and without
 * holding it in memory: bytes go to `.<name>.<random>.part` beside the destination while a SHA-256
 * is computed, then the file is renamed into place. A failed or interrupted write removes the part.
 */
import { createHash, randomBytes } from "node:crypto"
import { createWriteStream } from "node:fs"
import { rename, stat, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Readable, Transform, type Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { Effect, Exit } from "effect"
import * as TailFirst from "./TailFirst.ts"

/** A fresh temp path beside `destination` (same directory, so the rename is atomic). */
export const partPath = (destination: string): string =>
  join(dirname(destination), `.${basename(destination)}.${randomBytes(4).toString("hex")}.part`)

/**
 * Runs `write(temp)`, which fills a temp file and returns its SHA-256, then renames the temp file
 * to `destination`. The temp file is removed on failure or interruption.
 */
export const atomically = <E, R>(
  destination: string,
  write: (temp: string) => Effect.Effect<string, E, R>
): Effect.Effect<string, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => partPath(destination)),
    (temp) =>
      Effect.flatMap(write(temp), (sha256) =>
        Effect.as(
          Effect.promise(() => rename(temp, destination)),
          sha256
        )
      ),
    // After a rename the temp path is already gone; unlink then fails harmlessly.
    (temp) => Effect.promise(() => unlink(temp).catch(() => undefined))
  )

/** Thrown when a body ends before its declared length; classified as a network error (retryable). */
export const shortDownload = (written: number, expected: number): Error =>
  Object.assign(new Error(`download cut short: ${written} of ${expected} bytes`), {
    code: "ERR_STREAM_PREMATURE_CLOSE"
  })

const hashing = (hash: ReturnType<typeof createHash>) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    }
  })

/**
 * Streams a response body to `path`, hashing it on the way; checks the length against
 * `expectedBytes` (a `content-length`) when given. Resolves to the SHA-256 (hex).
 */
export const streamToPath = async (
  body: WebReadableStream<Uint8Array> | ReadableStream<Uint8Array>,
  path: string,
  options: { readonly signal?: AbortSignal | undefined; readonly expectedBytes?: number | undefined } = {}
): Promise<string> => {
  const hash = createHash("sha256")
  await pipeline(
    Readable.fromWeb(body as WebReadableStream<Uint8Array>),
    hashing(hash),
    createWriteStream(path),
    options.signal ? { signal: options.signal } : {}
  )
  const expected = options.expectedBytes
  if (expected !== undefined && Number.isFinite(expected)) {
    const written = (await stat(path)).size
    if (written !== expected) throw shortDownload(written, expected)
  }
  return hash.digest("hex")
}

/** Characters of base64 decoded per chunk: a multiple of 4, so every chunk decodes on its own. */
const BASE64_CHUNK = 4 * 256 * 1024

/**
 * Writes base64 text to `path` a chunk at a time: the decoded clip never exists whole in memory
 * beside its text. Resolves to the SHA-256 (hex) of the decoded bytes.
 */
export const base64ToPath = async (base64: string, path: string, signal?: AbortSignal): Promise<string> => {
  const hash = createHash("sha256")
  const text = base64.replace(/^data:[^,]*,/, "")
  async function* chunks() {
    for (let offset = 0; offset < text.length; offset += BASE64_CHUNK) {
      const bytes = Buffer.from(text.slice(offset, offset + BASE64_CHUNK), "base64")
      hash.update(bytes)
      yield bytes
    }
  }
  await pipeline(chunks, createWriteStream(path) as Writable, signal ? { signal } : {})
  return hash.digest("hex")
}

/** Writes bytes a provider already holds in memory (a V3 model's binary result). */
export const bytesToPath = async (bytes: Uint8Array, path: string, signal?: AbortSignal): Promise<string> => {
  const hash = createHash("sha256").update(bytes)
  await pipeline(Readable.from([bytes]), createWriteStream(path), signal ? { signal } : {})
  return hash.digest("hex")
}

/** A clip being downloaded range-first: `preview` has its header and last keyframe interval, `rest` the others. */
export interface Staged<E> {
  /**
   * The part file the last frame can be read from now, until `rest` runs (which renames it); `undefined` when the
   * whole clip is already in place.
   */
  readonly preview: string | undefined
  /** Fetches what is missing, renames the part file to the destination; the SHA-256. Run it exactly once. */
  readonly rest: Effect.Effect<string, E>
}

/**
 * `TailFirst` with `atomically`'s guarantees: the destination appears only whole, and the part file is removed when
 * either stage fails or is interrupted. `call` runs a promise as the provider's call (its error type, its abort).
 */
export const tailFirst = <E>(
  destination: string,
  fetchRange: TailFirst.FetchRange,
  call: <A>(run: (signal: AbortSignal) => Promise<A>) => Effect.Effect<A, E>
): Effect.Effect<Staged<E>, E> =>
  Effect.suspend(() => {
    const temp = partPath(destination)
    const removeOnFailure = <A, E2>(effect: Effect.Effect<A, E2>) =>
      Effect.onExit(effect, (exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => unlink(temp).catch(() => undefined))
      )
    const renamed = (sha256: string) =>
      Effect.as(
        Effect.promise(() => rename(temp, destination)),
        sha256
      )
    return removeOnFailure(
      Effect.flatMap(
        call((signal) => TailFirst.start(fetchRange, temp, signal)),
        (started): Effect.Effect<Staged<E>> =>
          started._tag === "Whole"
            ? Effect.map(renamed(started.sha256), (sha256) => ({ preview: undefined, rest: Effect.succeed(sha256) }))
            : Effect.succeed({
                preview: temp,
                rest: removeOnFailure(Effect.flatMap(call(started.rest), renamed))
              })
      )
    )
  })
