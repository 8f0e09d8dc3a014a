/**
 * Pure decisions behind a join: which segments can be stream-copied together, and which AAC packets of each
 * segment to keep so that audio stays within half a packet of the video at every seam and at the end.
 */
import type { AudioStream, MediaInfo, VideoStream } from "./Probe.ts"

/** Why two segments cannot share a stream copy, or `undefined` when they can. */
export const videoMismatch = (a: VideoStream, b: VideoStream): string | undefined => {
  const fields = [
    "codec",
    "profile",
    "pixFmt",
    "width",
    "height",
    "codedWidth",
    "codedHeight",
    "rotation",
    "timeBase",
    "frameRate",
    "sampleAspectRatio",
    "colorRange",
    "colorSpace",
    "colorPrimaries",
    "colorTransfer",
    "hasBFrames"
  ] as const
  for (const field of fields) if (a[field] !== b[field]) return `${field} ${a[field]} ≠ ${b[field]}`
  return undefined
}

/** The concat demuxer matches streams by index, so the video must be stream 0 everywhere. */
export const videoCopyBlocker = (segments: ReadonlyArray<MediaInfo>): string | undefined => {
  const first = segments[0]?.video
  if (!first) return "no video"
  for (const [i, segment] of segments.entries()) {
    const video = segment.video
    if (!video) return `segment ${i + 1} has no video`
    if (video.index !== 0) return `segment ${i + 1} has its video as stream ${video.index}`
    const mismatch = videoMismatch(first, video)
    if (mismatch) return `segment ${i + 1} differs: ${mismatch}`
  }
  return undefined
}

/** A smart cut re-encodes a few frames with libx264 to match the source: H.264 at a constant frame rate only. */
export const smartCutBlocker = (segments: ReadonlyArray<MediaInfo>): string | undefined => {
  const copy = videoCopyBlocker(segments)
  if (copy) return copy
  const video = segments[0]!.video!
  if (video.codec !== "h264") return `codec ${video.codec} (smart cut re-encodes with libx264)`
  if (segments.some((s) => s.video!.variableFrameRate)) return "variable frame rate"
  if (video.hasBFrames > 2) return `B-frame delay ${video.hasBFrames}`
  return undefined
}

/** AAC-LC with the same rate and channels everywhere, timestamps in samples: packets can be copied. */
export const audioCopyBlocker = (segments: ReadonlyArray<MediaInfo>): string | undefined => {
  const first = segments[0]?.audio
  if (!first) return "segment 1 has no audio"
  for (const [i, segment] of segments.entries()) {
    const audio: AudioStream | undefined = segment.audio
    if (!audio) return `segment ${i + 1} has no audio`
    if (audio.codec !== "aac" || (audio.profile !== undefined && audio.profile !== "LC")) {
      return `segment ${i + 1} audio is ${audio.codec} ${audio.profile ?? ""}`.trim()
    }
    if (audio.sampleRate !== first.sampleRate || audio.channels !== first.channels) {
      return `segment ${i + 1} audio is ${audio.sampleRate} Hz × ${audio.channels}`
    }
    if (audio.timeBase !== `1/${audio.sampleRate}`) return `segment ${i + 1} audio time base ${audio.timeBase}`
    if (audio.packets === 0) return `segment ${i + 1} has no audio packets`
  }
  return undefined
}

export interface AudioSegment {
  /** Packets in the stream, priming included. */
  readonly packets: number
  /** pts of packet 0 in samples (AAC priming makes it negative). */
  readonly startPts: number
  /** Seconds into the segment of the first video frame kept (1/fps when the seam duplicate is dropped). */
  readonly videoStart: number
  /** Seconds of video this segment contributes to the output. */
  readonly videoLength: number
}

export interface PacketRange {
  readonly first: number
  readonly count: number
}

/**
 * Picks a contiguous run of packets per segment. The output's audio is the kept packets back to back, so segment
 * k's sample at segment time t plays at `kept-before × frame + t − start of its first kept packet`; choosing the
 * run's start and length by rounding against the exact video timeline keeps every seam and the end within half a
 * packet (≈10.7 ms at 48 kHz) of the video (the end within a packet and a half, under one frame), with no drift
 * accumulating. `undefined` when a segment's audio is too short.
 */
export const selectAudioPackets = (
  segments: ReadonlyArray<AudioSegment>,
  sampleRate: number,
  frameSize = 1024
): ReadonlyArray<PacketRange> | undefined => {
  const ranges: Array<PacketRange> = []
  let kept = 0
  let videoAt = 0
  for (const segment of segments) {
    const wantedFirst =
      (kept * frameSize - videoAt * sampleRate + segment.videoStart * sampleRate - segment.startPts) / frameSize
    const first = Math.round(wantedFirst)
    videoAt += segment.videoLength
    const wanted = Math.round((videoAt * sampleRate) / frameSize) - kept
    // Half a packet of slack at the start; at the end one packet may be missing (an encoder's last packet often
    // ends exactly with the clip), which the next segment's start absorbs. More means the audio is too short.
    if (first < 0 && wantedFirst < -0.5) return undefined
    const from = Math.max(0, first)
    const count = Math.min(wanted, segment.packets - from)
    if (count < 0 || wanted - count > 1) return undefined
    ranges.push({ first: from, count })
    kept += count
  }
  return ranges
}
