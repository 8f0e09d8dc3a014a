/**
 * A clip LongSora did not make (the user's own, with `includeReference`) brought into a segment's format, so it
 * joins in front of the segments like one of them and the join keeps copying the segments. Only what differs is
 * redone, stream by stream: a video that already matches the segment's (`JoinPlan.videoMismatch`) is copied, else it
 * is scaled and centre-cropped to the segment's size (as a reference image is, so its last frame is the one segment 1
 * opens on), resampled to its frame rate and encoded with its codec parameters (`SmartCut.encoderArgs`); an audio
 * track that could be packet-copied beside the segment's is copied, else encoded like it (silence for a clip
 * without sound, where the segment has some).
 */
import { Effect } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"
import * as JoinPlan from "./JoinPlan.ts"
import { type MediaInfo, Probe, type VideoStream } from "./Probe.ts"
import * as SmartCut from "./SmartCut.ts"

export interface Conformed {
  readonly path: string
  /** The clip's video length as it plays in the output. */
  readonly seconds: number
  readonly reencoded: boolean
}

/** What must be redone for `clip` to join with `like` by copy: nothing, the video, the audio, or both. */
export const differences = (clip: MediaInfo, like: MediaInfo) => {
  const video = clip.video!.index !== 0 || JoinPlan.videoMismatch(clip.video!, like.video!) !== undefined
  const audio = like.audio !== undefined && JoinPlan.audioCopyBlocker([like, clip]) !== undefined
  return { video, audio }
}

const colourMatrix: Readonly<Record<string, string>> = {
  bt709: "bt709",
  smpte170m: "bt601",
  bt470bg: "bt601"
}

/** Scale and crop to `like`'s size and colours, then its frame rate: a source of any size, rate or range. */
export const videoFilter = (like: VideoStream): string => {
  const { width: w, height: h } = like
  const matrix = like.colorSpace ? colourMatrix[like.colorSpace] : undefined
  const range = like.colorRange === "tv" || like.colorRange === "pc" ? like.colorRange : undefined
  const colour = [...(matrix ? [`out_color_matrix=${matrix}`] : []), ...(range ? [`out_range=${range}`] : [])].join(":")
  return (
    `scale=${w}:${h}:force_original_aspect_ratio=increase${colour ? `:${colour}` : ""},` +
    `crop=${w}:${h},setsar=1,fps=${like.frameRate}`
  )
}

/** `clip` in `like`'s format: `clip` itself when it already is, else a copy with what differs re-encoded. */
export const conform = Effect.fnUntraced(function* (clip: MediaInfo, like: MediaInfo, destination: string) {
  const differs = differences(clip, like)
  if (!differs.video && !differs.audio) {
    return { path: clip.path, seconds: clip.video!.duration, reencoded: false } satisfies Conformed
  }
  const binary = yield* FfmpegBinary
  const target = like.video!
  const silence = like.audio !== undefined && clip.audio === undefined
  const audioArgs = like.audio
    ? [
        ...["-map", silence ? "1:a:0" : "0:a:0"],
        ...(differs.audio
          ? ["-c:a", "aac", "-b:a", "192k", "-ar", String(like.audio.sampleRate), "-ac", String(like.audio.channels)]
          : ["-c:a", "copy"])
      ]
    : clip.audio
      ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", "192k"]
      : []
  yield* run(binary.ffmpeg, [
    ...["-nostdin", "-v", "error", "-y", "-i", clip.path],
    ...(silence ? ["-f", "lavfi", "-i", `anullsrc=r=${like.audio!.sampleRate}:cl=stereo`] : []),
    ...["-map", "0:v:0", "-sn", "-dn", "-map_metadata", "-1"],
    ...(differs.video
      ? ["-vf", videoFilter(target), "-r", target.frameRate, ...SmartCut.encoderArgs(target, 16)]
      : ["-c:v", "copy"]),
    ...audioArgs,
    // The clip's picture decides its length: a longer sound track (or the endless silence) stops with it.
    ...["-t", clip.video!.duration.toFixed(6), "-movflags", "+faststart", "-f", "mp4", destination]
  ])
  const prober = yield* Probe
  const made = yield* prober.probe(destination, { countPackets: false })
  return {
    path: destination,
    seconds: made.video?.duration ?? clip.video!.duration,
    reencoded: true
  } satisfies Conformed
})
