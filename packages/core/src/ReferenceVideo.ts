/**
 * A video given as the reference (`inputReference`): the run continues the user's clip. Its exact
 * last frame (decoded, not a nearby keyframe) opens segment 1 and the planner is told the story
 * picks up there; with `includeReference` the output starts with the clip itself. Everything here
 * is checked before anything is written or paid for: a readable video stream whose end decodes,
 * within `limits`, and a chain strategy that can continue a clip the provider did not make.
 */
import { createHash } from "node:crypto"
import { Effect, FileSystem, Option, Result, Stream } from "effect"
import type { ProviderCapabilities } from "./Capabilities.ts"
import { InvalidRequest, OutputError } from "./Errors.ts"
import { FrameExtractor, type VideoInfo } from "./FrameExtractor.ts"
import type { LongVideoRequest } from "./LongVideoRequest.ts"

/**
 * What a reference video may be. The clip is read whole only to hash it (resume checks the bytes)
 * and, with `includeReference`, to join it; its last frame costs the same whatever its length. An
 * hour is the longest output a run makes (`maxSegments` of 12 s), and a bigger file is not a clip
 * to continue but a film: 2 GiB is about an hour of 1080p at 4.5 Mbit/s.
 */
export const limits = {
  maxBytes: 2 * 1024 ** 3,
  maxSeconds: 3600
} as const

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to))

/**
 * Whether the first bytes are those of a video container: ISO BMFF (MP4, MOV, M4V, 3GP), Matroska/WebM,
 * AVI, Ogg, FLV, MPEG program or transport stream. Anything else is checked as an image, as before.
 */
export const looksLikeVideo = (bytes: Uint8Array): boolean =>
  (bytes.length >= 8 && ascii(bytes, 4, 8) === "ftyp") ||
  (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) ||
  (bytes.length >= 11 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 11) === "AVI") ||
  (bytes.length >= 4 && ascii(bytes, 0, 4) === "OggS") ||
  (bytes.length >= 3 && ascii(bytes, 0, 3) === "FLV") ||
  (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && bytes[3] === 0xba) ||
  (bytes.length >= 189 && bytes[0] === 0x47 && bytes[188] === 0x47)

/** Whether the file at `absolute` starts like a video (an unreadable file does not). */
export const isVideoFile = (absolute: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const file = yield* fs.open(absolute)
    const head = yield* file.readAlloc(189)
    return Option.isSome(head) && looksLikeVideo(head.value)
  }).pipe(
    Effect.scoped,
    Effect.orElseSucceed(() => false)
  )

const invalid = (given: string, allowed: string, fix: string) =>
  new InvalidRequest({ field: "inputReference", given, allowed, fix })

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`

/** Checks a reference that starts like a video; its figures, or why it cannot be continued. */
export const check = Effect.fnUntraced(function* (reference: string, absolute: string, bytes: number) {
  if (bytes > limits.maxBytes) {
    return yield* invalid(
      `${reference} (${megabytes(bytes)})`,
      `a video of at most ${megabytes(limits.maxBytes)}`,
      "Cut the clip to the part the video should continue from, e.g. its last 10 s: ffmpeg -sseof -10 -i IN.mp4 -c copy OUT.mp4"
    )
  }
  const extractor = yield* FrameExtractor
  const video = yield* extractor
    .inspectVideo(absolute)
    .pipe(
      Effect.mapError((error) =>
        invalid(
          reference,
          "a readable video with a video stream (MP4, MOV, WebM, …) or a JPEG, PNG or WebP image",
          `It could not be read as a video: ${error.reason}.`
        )
      )
    )
  if (video.seconds > limits.maxSeconds) {
    return yield* invalid(
      `${reference} (${Math.round(video.seconds)} s)`,
      `a video of at most ${limits.maxSeconds} s`,
      "Cut the clip to the part the video should continue from, e.g. its last 10 s: ffmpeg -sseof -10 -i IN.mp4 -c copy OUT.mp4"
    )
  }
  return video
})

/**
 * How the request uses its reference: `includeReference` needs a video, and `chain: extend` cannot
 * continue a video the provider did not make (the OpenAI `/v1/videos/extensions` and Veo extend only
 * their own outputs, by id), so it is refused before anything is paid, naming what works.
 */
export const checkUse = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities,
  video: VideoInfo | undefined
): Result.Result<void, InvalidRequest> => {
  if (request.includeReference && video === undefined) {
    return Result.fail(
      new InvalidRequest({
        field: "includeReference",
        given: request.inputReference === undefined ? "no `inputReference`" : `an image (${request.inputReference})`,
        allowed: "a video given as `inputReference`, to open the output with",
        fix: "Give the clip to continue as `inputReference`, or leave out `includeReference`."
      })
    )
  }
  if (video !== undefined && request.chain === "extend") {
    return Result.fail(
      new InvalidRequest({
        field: "chain",
        given: `extend with a video \`inputReference\` (${request.inputReference})`,
        allowed: `extend only of a clip ${capabilities.model} made itself (the provider extends its own video, by id, not an uploaded one)`,
        fix: "Leave out `chain` extend to continue the clip from its exact last frame (the default, `chain` last-frame), or give an image as `inputReference`."
      })
    )
  }
  return Result.void
}

/** SHA-256 of a file's bytes, read as a stream (a reference video may be large). */
export const sha256 = (path: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const hash = createHash("sha256")
    yield* Stream.runForEach(fs.stream(path), (chunk) => Effect.sync(() => hash.update(chunk)))
    return `sha256:${hash.digest("hex")}`
  }).pipe(Effect.mapError((cause) => new OutputError({ path, reason: "could not read the reference", cause })))
