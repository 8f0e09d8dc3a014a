/**
 * What every join strategy is given: the probed segments, where to write, the tools (ffmpeg, the probe, the
 * prepared heads), and the helpers more than one strategy uses. Each strategy returns the method it ended up
 * using (a stream copy whose output does not check out is re-encoded instead).
 */
import { writeFile } from "node:fs/promises"
import * as NodePath from "node:path"
import type { Transition } from "@longsora/core"
import { type Context, Effect } from "effect"
import type { FfmpegBinary } from "../../FfmpegBinary.ts"
import type * as Preparation from "../../Preparation.ts"
import type * as Probe from "../../Probe.ts"
import { copyAudio, encodeAudio } from "../audioTrack.ts"
import { type ConcatEntry, concatList } from "../concat.ts"
import { segmentPlans, targetOf } from "../filters.ts"
import type { Movie } from "../mp4/index.ts"
import type { run } from "../process.ts"

export type Method = "copy" | "copy-cut" | "smart-cut" | "reencode" | "crossfade"

/** ffmpeg with the flags every join passes (`-nostdin -v error -y`). */
export type Ffmpeg = (args: ReadonlyArray<string>, options?: Parameters<typeof run>[2]) => ReturnType<typeof run>

export interface JoinContext {
  readonly ffmpeg: Ffmpeg
  readonly prober: Context.Service.Shape<typeof Probe.Probe>
  readonly preparation: Preparation.Preparation
  /** Probed segments, in order; every one has video. */
  readonly segments: ReadonlyArray<Probe.MediaInfo>
  readonly transition: Transition.Transition
  /** The segments' MP4 headers read in-process, or why they could not be. */
  readonly movies: ReadonlyArray<Movie> | string
  /** A scratch directory beside the destination, removed after the join. */
  readonly workDir: string
  /** Where the strategy writes; the combiner moves it into place. */
  readonly output: string
}

/** What a strategy needs from the environment beyond its context: ffmpeg and the probe (for the prepared heads). */
export type Strategy = (context: JoinContext) => Effect.Effect<Method, unknown, FfmpegBinary | Probe.Probe>

export const x264Output = ["-c:v", "libx264", "-preset", "fast", "-crf", "18", "-pix_fmt", "yuv420p"]
export const finalOutput = (file: string) => ["-movflags", "+faststart", "-f", "mp4", file]
export const inputs = (segments: ReadonlyArray<Probe.MediaInfo>) => segments.flatMap((s) => ["-i", s.path])

/** Whether a `Cut` seam drops the repeated first frame of every later segment. */
export const dropsSeams = (transition: Transition.Transition) => transition._tag === "Cut"

/** The output's length follows from the plan (frame-exact), so no second probe is needed. */
export const outputSeconds = (
  segments: ReadonlyArray<Probe.MediaInfo>,
  method: Method,
  transition: Transition.Transition
) => {
  const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)
  if (method === "copy") return sum(segments.map((s) => s.video!.duration))
  if (method === "smart-cut") return sum(segments.map((s, i) => s.video!.duration - (i > 0 ? 1 / s.video!.fps : 0)))
  const target = targetOf(segments)
  const frames = sum(segmentPlans(segments, target, transition._tag === "Cut").map((p) => p.frames))
  const overlap = transition._tag === "Crossfade" ? (segments.length - 1) * transition.seconds : 0
  return frames / target.fps - overlap
}

/** Stream-copies the video listed in `entries` through the concat demuxer, muxed with one audio track. */
export const muxCopy = Effect.fnUntraced(function* (
  context: JoinContext,
  entries: ReadonlyArray<ConcatEntry>,
  drop: boolean
) {
  const { ffmpeg, segments, workDir, output } = context
  const list = NodePath.join(workDir, "video.ffconcat")
  yield* Effect.promise(() => writeFile(list, concatList(entries)))
  const anyAudio = segments.some((s) => s.audio)
  const audio = anyAudio
    ? ((yield* copyAudio(ffmpeg, segments, drop, NodePath.join(workDir, "audio.aac"))) ??
      (yield* encodeAudio(ffmpeg, segments, drop, NodePath.join(workDir, "audio.m4a"))))
    : undefined
  yield* ffmpeg([
    ...["-f", "concat", "-safe", "0", "-i", list],
    ...(audio ? ["-i", audio] : []),
    ...["-map", "0:v:0", ...(audio ? ["-map", "1:a:0"] : []), "-c", "copy"],
    ...finalOutput(output)
  ])
})

/**
 * Whether a stream-copied output has the frames and length planned. A copy that went wrong (an encoder layout the
 * smart cut did not reproduce) shows up as a wrong frame count or length in the output's header.
 */
export const checksOut = Effect.fnUntraced(function* (
  context: JoinContext,
  method: Method,
  expectedFrames: number,
  expectedSeconds: number
) {
  const video = (yield* context.prober.probe(context.output, { countPackets: false })).video
  const fps = context.segments[0]!.video!.fps
  if (video?.frames === expectedFrames && Math.abs(video.duration - expectedSeconds) < 0.5 / fps) return true
  yield* Effect.logWarning(
    `${method} join produced ${video?.frames} frames / ${video?.duration} s, expected ${expectedFrames} / ${expectedSeconds} s: re-encoding`
  )
  return false
})
