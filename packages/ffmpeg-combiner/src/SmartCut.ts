/**
 * The smart cut behind the default `Cut` seam. Segment k+1 opens on segment k's last frame; dropping that one frame
 * by stream copy is impossible (frame 1 depends on frame 0), so only the stretch from frame 1 to the segment's
 * first later IDR is re-encoded (the head), with the source's codec parameters, time base and B-frame delay, and
 * everything from that IDR on is copied: muxed in-process (`internal/mp4`), else by ffmpeg's concat demuxer. The
 * cost per seam is one GOP at most, whatever the segment's length (a clip of open GOPs only: the whole clip).
 */
import { Effect } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import type { ConcatEntry } from "./internal/concat.ts"
import { videoIdrFrames, videoSyncSamples } from "./internal/mp4/index.ts"
import { run } from "./internal/process.ts"
import { type MediaInfo, Probe, type VideoStream } from "./Probe.ts"

/** Keyframes are looked for in this many seconds first, then in the whole segment. */
const keyframeWindowSeconds = 12

export interface Seam {
  /** Index of the first keyframe after frame 0; `frames` when there is none. */
  readonly keyframe: number
  /** Its exact time in seconds (the tail's in-point). */
  readonly keyframeTime: number
}

const timeBaseSeconds = (video: VideoStream) => {
  const [n, d] = video.timeBase.split("/").map(Number)
  return (n ?? 1) / (d ?? 90000)
}

/**
 * The first IDR after frame 0 from the MP4 header, when its time is exact: constant frame rate and a time base in
 * which every frame falls on a whole tick. An open GOP's I-frames are skipped: after one, frames still refer to the
 * pictures before it, which the head replaces (so a clip with only open GOPs is re-encoded from frame 1 on).
 */
const seamFromHeader = (segment: MediaInfo) =>
  Effect.promise(async () => {
    const idr = await videoIdrFrames(segment.path)
    if (idr) return idr
    // Headers `readMovie` does not take (several edits, an empty edit): their sync samples, taken as IDRs.
    const sync = await videoSyncSamples(segment.path)
    return sync === "all" ? [0, 1] : sync
  }).pipe(
    Effect.map((keyframes): Seam | undefined => {
      const video = segment.video!
      const [num, den] = video.frameRate.split("/").map(Number)
      const [, tbDen] = video.timeBase.split("/").map(Number)
      const ticksPerFrame = ((tbDen ?? 0) * (den ?? 0)) / (num ?? 1)
      if (keyframes === undefined || !Number.isInteger(ticksPerFrame) || video.variableFrameRate) return undefined
      const keyframe = keyframes.find((index) => index >= 1) ?? video.frames
      return { keyframe, keyframeTime: video.startTime + keyframe / video.fps }
    })
  )

/** Finds where the copied tail of a later segment can start: from the MP4 header, else from ffprobe's packets. */
export const findSeam = Effect.fnUntraced(function* (segment: MediaInfo) {
  const fromHeader = yield* seamFromHeader(segment)
  if (fromHeader) return fromHeader
  const prober = yield* Probe
  const video = segment.video!
  const tb = timeBaseSeconds(video)
  const frameAt = (pts: number) => Math.round((pts * tb - video.startTime) * video.fps)
  const after = (list: ReadonlyArray<number>) => list.find((pts) => frameAt(pts) >= 1)
  let pts = after(yield* prober.keyframes(segment.path, keyframeWindowSeconds))
  if (pts === undefined && segment.duration > keyframeWindowSeconds) {
    pts = after(yield* prober.keyframes(segment.path, segment.duration + 1))
  }
  return pts === undefined
    ? { keyframe: video.frames, keyframeTime: video.startTime + video.duration }
    : { keyframe: frameAt(pts), keyframeTime: pts * tb }
})

const x264Profiles: Record<string, string> = {
  Baseline: "baseline",
  "Constrained Baseline": "baseline",
  Main: "main",
  High: "high",
  "High 10": "high10",
  "High 4:2:2": "high422",
  "High 4:4:4 Predictive": "high444"
}

/** libx264 options that reproduce the source's stream layout (B-frame delay decides the DTS offset). */
export const encoderArgs = (video: VideoStream, crf: number): ReadonlyArray<string> => {
  const profile = video.profile ? x264Profiles[video.profile] : undefined
  const bframes = video.hasBFrames === 0 ? ["-bf", "0"] : video.hasBFrames === 1 ? ["-bf", "1", "-b_strategy", "0"] : []
  const colour = [
    ...(video.colorRange ? ["-color_range", video.colorRange] : []),
    ...(video.colorSpace ? ["-colorspace", video.colorSpace] : []),
    ...(video.colorPrimaries ? ["-color_primaries", video.colorPrimaries] : []),
    ...(video.colorTransfer ? ["-color_trc", video.colorTransfer] : [])
  ]
  return [
    // A window is at most a GOP shown once: veryfast costs a third less than fast at 720p, ~2 dB PSNR at CRF 16.
    ...["-c:v", "libx264", "-preset", "veryfast", "-crf", String(crf)],
    ...(profile ? ["-profile:v", profile] : []),
    ...(video.level ? ["-level:v", (video.level / 10).toFixed(1)] : []),
    ...(video.pixFmt ? ["-pix_fmt", video.pixFmt] : []),
    ...bframes,
    ...colour,
    ...["-video_track_timescale", video.timeBase.split("/")[1] ?? "90000"]
  ]
}

/** Re-encodes frames `[1, seam.keyframe)` of `segment` into `destination` (video only). */
export const encodeHead = Effect.fnUntraced(function* (segment: MediaInfo, seam: Seam, destination: string) {
  const binary = yield* FfmpegBinary
  const video = segment.video!
  // Stop reading just after the keyframe: decoding never runs past the re-encoded stretch.
  const readUntil = (seam.keyframe + 0.5) / video.fps + Math.max(0, video.startTime)
  yield* run(binary.ffmpeg, [
    ...["-nostdin", "-v", "error", "-y", "-t", readUntil.toFixed(6), "-i", segment.path],
    ...["-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1"],
    ...["-vf", `trim=start_frame=1:end_frame=${seam.keyframe},setpts=PTS-STARTPTS`, "-r", video.frameRate],
    ...encoderArgs(video, 16),
    ...["-f", "mp4", destination]
  ])
})

export interface PreparedHead {
  readonly seam: Seam
  /** The re-encoded frames `[1, seam.keyframe)`; absent when frame 1 is already a keyframe. */
  readonly head: string | undefined
}

/** Finds a later segment's seam and encodes its head into `destination` when it needs one. */
export const prepareHead = Effect.fnUntraced(function* (segment: MediaInfo, destination: string) {
  const seam = yield* findSeam(segment)
  if (seam.keyframe <= 1) return { seam, head: undefined } satisfies PreparedHead
  yield* encodeHead(segment, seam, destination)
  return { seam, head: destination } satisfies PreparedHead
})

/** The video concat entries of a smart-cut join: segment 1 whole, then each later segment's head and copied tail. */
export const videoEntries = (
  segments: ReadonlyArray<MediaInfo>,
  heads: ReadonlyArray<PreparedHead>
): ReadonlyArray<ConcatEntry> => {
  const first = segments[0]!.video!
  const later = segments.slice(1).flatMap((segment, k) => {
    const video = segment.video!
    const { seam, head } = heads[k]!
    const entries: Array<ConcatEntry> = []
    if (head !== undefined) entries.push({ file: head, inpoint: 0, duration: (seam.keyframe - 1) / video.fps })
    if (seam.keyframe < video.frames) {
      const duration = (video.frames - seam.keyframe) / video.fps
      entries.push({ file: segment.path, inpoint: seam.keyframeTime, duration })
    }
    return entries
  })
  return [{ file: segments[0]!.path, inpoint: first.startTime, duration: first.duration }, ...later]
}
