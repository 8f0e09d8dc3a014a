/**
 * What a finished output looks like to a careful viewer: its streams, how far audio and video
 * lengths differ, how visible each seam is (SSIM/PSNR against the in-segment median), and a
 * contact sheet of the two frames on either side of every seam. Used by `longsora inspect`.
 */
import type { Transition } from "@longsora/core"
import { Data, Effect } from "effect"
import { FfmpegBinary, passthroughArgs } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"
import { type MediaInfo, Probe } from "./Probe.ts"
import * as SeamQuality from "./SeamQuality.ts"

export class InspectionError extends Data.TaggedError("InspectionError")<{
  readonly path: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Cannot inspect ${this.path}: ${this.reason}`
  }
}

export interface Report {
  readonly media: MediaInfo
  /** |video − audio| duration in seconds, and one frame's duration to compare it with. */
  readonly avDifferenceSeconds: number
  readonly frameSeconds: number
  readonly seams: SeamQuality.Report
  /** PNG: one row per seam, the frame before it on the left and the frame after it on the right. */
  readonly contactSheet: string | undefined
}

/**
 * How long each segment lasts in the output: a cut drops the first frame of every later segment,
 * a crossfade overlaps neighbours (the seam is taken at the middle of the fade).
 */
export const segmentSpans = (
  durations: ReadonlyArray<number>,
  transition: Transition.Transition,
  fps: number
): ReadonlyArray<number> =>
  durations.map((seconds, i) => {
    const later = i > 0
    const last = i === durations.length - 1
    if (transition._tag === "Cut") return later ? seconds - 1 / fps : seconds
    if (transition._tag === "KeepDuplicate") return seconds
    return seconds - (later ? transition.seconds / 2 : 0) - (last ? 0 : transition.seconds / 2)
  })

/** Writes the frames on both sides of each seam (`frames`: the first frame after it) as one PNG. */
export const contactSheet = Effect.fnUntraced(function* (
  video: string,
  frames: ReadonlyArray<number>,
  destination: string,
  width = 480
) {
  const binary = yield* FfmpegBinary
  // -fps_mode only exists from ffmpeg 5.1; passthroughArgs picks -vsync on older versions.
  const version = yield* binary.check.pipe(
    Effect.mapError((cause) => new InspectionError({ path: video, reason: cause.message, cause }))
  )
  const picks = frames.flatMap((frame) => [`eq(n\\,${frame - 1})`, `eq(n\\,${frame})`]).join("+")
  yield* run(binary.ffmpeg, [
    "-nostdin",
    "-v",
    "error",
    "-y",
    "-i",
    video,
    "-vf",
    `select='${picks}',scale=${width}:-2,tile=2x${frames.length}:padding=4:color=white`,
    "-frames:v",
    "1",
    ...passthroughArgs(version),
    destination
  ]).pipe(
    Effect.mapError((cause) => new InspectionError({ path: video, reason: "could not draw the contact sheet", cause }))
  )
  return destination
})

export const inspect = Effect.fn("Inspection.inspect")(function* (
  output: string,
  durations: ReadonlyArray<number>,
  transition: Transition.Transition,
  sheet: string
) {
  const prober = yield* Probe
  const media = yield* prober
    .probe(output)
    .pipe(Effect.mapError((cause) => new InspectionError({ path: output, reason: "ffprobe could not read it", cause })))
  const fps = media.video?.fps ?? 0
  if (!media.video || fps <= 0) return yield* new InspectionError({ path: output, reason: "it has no video stream" })
  const seams = yield* SeamQuality.measure(output, segmentSpans(durations, transition, fps)).pipe(
    Effect.mapError((cause) => new InspectionError({ path: output, reason: cause.reason, cause }))
  )
  const contact =
    seams.seams.length > 0
      ? yield* contactSheet(
          output,
          seams.seams.map((s) => s.frame),
          sheet
        )
      : undefined
  return {
    media,
    avDifferenceSeconds: media.audio ? Math.abs(media.video.duration - media.audio.duration) : Number.NaN,
    frameSeconds: 1 / fps,
    seams,
    contactSheet: contact
  } satisfies Report
})
