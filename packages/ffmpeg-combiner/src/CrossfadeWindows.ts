/**
 * A crossfade that re-encodes only what the fades change. At each seam the stretch from the end of segment k's
 * copy to segment k+1's first keyframe after the fade is one re-encoded "window": k's last frames blended
 * (`xfade`) into k+1's first ones, then the rest of k+1's opening GOP, whose frames depend on the originals the
 * blend replaced. Everything else is stream-copied, bit-exact; the audio (cheap) is crossfaded and re-encoded
 * whole. The output has exactly the frames and length of a full `xfade` re-encode; the work per seam is one GOP and
 * the fade, whatever the segments' length. Segment k's copy stops right where its fade starts, which needs decode
 * order to be display order: segments with B-frames take the full re-encode.
 */
import * as NodePath from "node:path"
import { Effect } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { type ConcatEntry, concatList } from "./internal/concat.ts"
import { videoSyncSamples } from "./internal/mp4/index.ts"
import { run } from "./internal/process.ts"
import * as JoinPlan from "./JoinPlan.ts"
import type { MediaInfo } from "./Probe.ts"
import { encoderArgs } from "./SmartCut.ts"

export interface Seam {
  /** First frame of segment k in the window (its copy ends there). */
  readonly tailStart: number
  /** Segment k+1's first keyframe at or after the fade's end (its copy starts there). */
  readonly headEnd: number
}

export interface WindowPlan {
  readonly fadeFrames: number
  /** Per segment, the frames `[start, end)` copied. */
  readonly copies: ReadonlyArray<{ readonly start: number; readonly end: number }>
  readonly seams: ReadonlyArray<Seam>
}

/** Keyframe indices of a segment (closed GOPs: the same in decode and display order), or `"all"`. */
export type Keyframes = ReadonlyArray<number> | "all"

/** Where the windows go, or why a full re-encode is needed instead. */
export const planWindows = (
  segments: ReadonlyArray<MediaInfo>,
  keyframes: ReadonlyArray<Keyframes>,
  seconds: number
): WindowPlan | string => {
  const blocker = JoinPlan.smartCutBlocker(segments)
  if (blocker) return blocker
  const video = segments[0]!.video!
  if (video.hasBFrames > 0) return "B-frames: a copy cannot stop where a fade starts"
  const fadeFrames = Math.round(seconds * video.fps)
  if (fadeFrames < 1 || Math.abs(fadeFrames / video.fps - seconds) > 1e-6) {
    return `a ${seconds} s fade is not a whole number of frames at ${video.frameRate}`
  }
  const frames = segments.map((s) => s.video!.frames)
  const isKey = (k: number, frame: number) =>
    keyframes[k] === "all" || (keyframes[k] as ReadonlyArray<number>).includes(frame)
  const firstKeyAtOrAfter = (k: number, frame: number) => {
    for (let f = frame; f < frames[k]!; f++) if (isKey(k, f)) return f
    return frames[k]!
  }
  // Without B-frames nothing shown before the fade depends on a later frame: the copy may stop anywhere.
  const seams = segments
    .slice(1)
    .map((_, i): Seam => ({ tailStart: frames[i]! - fadeFrames, headEnd: firstKeyAtOrAfter(i + 1, fadeFrames) }))
  const copies = segments.map((_, k) => ({
    start: k === 0 ? 0 : seams[k - 1]!.headEnd,
    end: k === segments.length - 1 ? frames[k]! : seams[k]!.tailStart
  }))
  const overlap = copies.findIndex((c) => c.start > c.end)
  if (overlap >= 0) return `segment ${overlap + 1} is shorter than its two fades' keyframe intervals`
  if (frames.some((n) => n <= 2 * fadeFrames)) return `a ${seconds} s crossfade needs longer segments`
  return { fadeFrames, copies, seams }
}

/** Frames in the output: every segment's, less one fade per seam. */
export const outputFrames = (segments: ReadonlyArray<MediaInfo>, plan: WindowPlan) =>
  segments.reduce((sum, s) => sum + s.video!.frames, 0) - (segments.length - 1) * plan.fadeFrames

const frameTime = (segment: MediaInfo, frame: number) => segment.video!.startTime + frame / segment.video!.fps

/** Re-encodes one seam's window: `a` from `tailStart` blended into `b`'s opening, up to `b`'s `headEnd`. */
const encodeWindow = Effect.fnUntraced(function* (
  a: MediaInfo,
  aKeyframes: Keyframes,
  b: MediaInfo,
  seam: Seam,
  fadeFrames: number,
  destination: string
) {
  const binary = yield* FfmpegBinary
  const video = a.video!
  // Start decoding `a` at the keyframe before the window (half a frame early, so rounding never skips it).
  const keyframe =
    aKeyframes === "all" ? seam.tailStart : ([...aKeyframes].reverse().find((k) => k <= seam.tailStart) ?? 0)
  const seek = keyframe > 0 ? ["-ss", (frameTime(a, keyframe) - 0.5 / video.fps).toFixed(6)] : []
  const readB = frameTime(b, seam.headEnd + 0.5)
  const fade = fadeFrames / video.fps
  const offset = (a.video!.frames - seam.tailStart - fadeFrames) / video.fps
  const graph = [
    `[0:v]trim=start_frame=${seam.tailStart - keyframe},setpts=PTS-STARTPTS[a]`,
    `[1:v]trim=end_frame=${seam.headEnd},setpts=PTS-STARTPTS[b]`,
    `[a][b]xfade=transition=fade:duration=${fade.toFixed(6)}:offset=${offset.toFixed(6)},format=${video.pixFmt ?? "yuv420p"}[v]`
  ].join(";")
  yield* run(binary.ffmpeg, [
    ...["-nostdin", "-v", "error", "-y", ...seek, "-i", a.path, "-t", readB.toFixed(6), "-i", b.path],
    ...["-filter_complex", graph, "-map", "[v]", "-an", "-sn", "-dn", "-map_metadata", "-1", "-r", video.frameRate],
    ...encoderArgs(video, 18),
    ...["-f", "mp4", destination]
  ])
})

/** The concat list of a windowed crossfade: copies and windows, alternating. */
export const videoEntries = (
  segments: ReadonlyArray<MediaInfo>,
  plan: WindowPlan,
  windowFiles: ReadonlyArray<string>
): ReadonlyArray<ConcatEntry> =>
  segments.flatMap((segment, k) => {
    const { start, end } = plan.copies[k]!
    const fps = segment.video!.fps
    const copy: Array<ConcatEntry> =
      end > start
        ? [
            {
              file: segment.path,
              inpoint: frameTime(segment, start),
              ...(end < segment.video!.frames ? { outpoint: frameTime(segment, end) } : {}),
              duration: (end - start) / fps
            }
          ]
        : []
    if (k === segments.length - 1) return copy
    const seam = plan.seams[k]!
    const windowFrames = segment.video!.frames - seam.tailStart + seam.headEnd - plan.fadeFrames
    return [...copy, { file: windowFiles[k]!, inpoint: 0, duration: windowFrames / fps }]
  })

/** Reads every segment's keyframes from its MP4 header; `undefined` when one is not an MP4. */
export const keyframesOf = (segments: ReadonlyArray<MediaInfo>) =>
  Effect.promise(async () => {
    const all = await Promise.all(segments.map((s) => videoSyncSamples(s.path)))
    return all.some((k) => k === undefined) ? undefined : (all as ReadonlyArray<Keyframes>)
  })

/**
 * Encodes every window (two at a time) into `workDir`; returns the video concat list's text, which the caller
 * writes and muxes with the crossfaded audio.
 */
export const prepareVideo = Effect.fnUntraced(function* (
  segments: ReadonlyArray<MediaInfo>,
  keyframes: ReadonlyArray<Keyframes>,
  plan: WindowPlan,
  workDir: string
) {
  const files = plan.seams.map((_, k) => NodePath.join(workDir, `window_${String(k + 1).padStart(3, "0")}.mp4`))
  yield* Effect.forEach(
    plan.seams,
    (seam, k) => encodeWindow(segments[k]!, keyframes[k]!, segments[k + 1]!, seam, plan.fadeFrames, files[k]!),
    { concurrency: 2, discard: true }
  )
  return concatList(videoEntries(segments, plan, files))
})
