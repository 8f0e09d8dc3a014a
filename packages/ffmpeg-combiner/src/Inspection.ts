/**
 * What a finished output looks like to a careful viewer: its streams, how far audio and video
 * lengths differ, how visible each seam is (SSIM/PSNR against the in-segment median), and a
 * contact sheet of the two frames on either side of every seam. Used by `longsora inspect`.
 */

import { existsSync } from "node:fs"
import type { Transition } from "@longsora/core"
import { Data, Effect } from "effect"
import * as AudioStep from "./AudioStep.ts"
import * as Drift from "./Drift.ts"
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
  /** Per segment: its look and how far it drifted from segment 1. */
  readonly drift: ReadonlyArray<Drift.SegmentDrift>
  /** Per seam: the audio's click, level and spectral step against the in-segment baseline (none without audio). */
  readonly audioSeams: ReadonlyArray<AudioStep.AudioSeamStep>
  /**
   * PNG: one row per seam, the frame before it on the left and the frame after it on the right, which
   * carries the later segment's drift as a bar along its foot (full width: drift 1) and, when a font is
   * found, the figures as text.
   */
  readonly contactSheet: string | undefined
}

/** What the contact sheet writes on the right-hand frame of each seam's row. */
export interface SheetLabel {
  readonly text: string
  /** 0–1: the bar's share of the frame's width. */
  readonly bar: number
}

const fonts = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"
]

/** The drawing for each labelled frame (`n`: the frame's index in the selected pairs). */
const labelFilters = (labels: ReadonlyArray<SheetLabel>, barHeight: number): string => {
  const font = fonts.find((file) => existsSync(file))
  return labels
    .flatMap((label, row) => {
      const on = `enable='eq(n\\,${2 * row + 1})'`
      const width = Math.max(0, Math.min(1, label.bar))
      const text = label.text.replace(/[\\':,%]/g, " ")
      return [
        `drawbox=x=0:y=ih-${barHeight}:w=iw:h=${barHeight}:color=black@1:t=fill:${on}`,
        ...(width > 0
          ? [`drawbox=x=0:y=ih-${barHeight}:w=iw*${width.toFixed(4)}:h=${barHeight}:color=red@1:t=fill:${on}`]
          : []),
        ...(font
          ? [
              `drawtext=fontfile=${font}:text='${text}':fontcolor=white:fontsize=h/16:box=1:boxcolor=black@0.6:x=8:y=8:${on}`
            ]
          : [])
      ]
    })
    .map((filter) => `,${filter}`)
    .join("")
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
  width = 480,
  labels: ReadonlyArray<SheetLabel> = []
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
    `select='${picks}',scale=${width}:-2${labelFilters(labels, Math.max(6, Math.round(width / 40)))},tile=2x${frames.length}:padding=4:color=white`,
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
  const spans = segmentSpans(durations, transition, fps)
  const seams = yield* SeamQuality.measure(output, spans).pipe(
    Effect.mapError((cause) => new InspectionError({ path: output, reason: cause.reason, cause }))
  )
  const drift = yield* Drift.measureOutput(output, spans).pipe(
    Effect.mapError((cause) => new InspectionError({ path: output, reason: cause.reason, cause }))
  )
  const audioSeams = media.audio
    ? yield* AudioStep.measure(
        output,
        seams.seams.map((s) => s.seconds)
      ).pipe(
        Effect.mapError((cause) => new InspectionError({ path: output, reason: "could not decode the audio", cause }))
      )
    : []
  const labels = seams.seams.map((seam): SheetLabel => {
    const figures = drift[seam.segment]?.figures
    return {
      text: `seg ${seam.segment + 1} drift ${figures?.drift.toFixed(3) ?? "?"} ssim ${seam.ssim.toFixed(3)}`,
      bar: figures?.drift ?? 0
    }
  })
  const contact =
    seams.seams.length > 0
      ? yield* contactSheet(
          output,
          seams.seams.map((s) => s.frame),
          sheet,
          480,
          labels
        )
      : undefined
  return {
    media,
    avDifferenceSeconds: media.audio ? Math.abs(media.video.duration - media.audio.duration) : Number.NaN,
    frameSeconds: 1 / fps,
    seams,
    drift,
    audioSeams,
    contactSheet: contact
  } satisfies Report
})
