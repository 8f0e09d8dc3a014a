import type { MediaInfo } from "../Probe.ts"

/** filter_complex builders for the re-encoding paths. Every segment is cut to an exact frame count and its audio to exactly that length, so nothing drifts. */

export interface Target {
  readonly width: number
  readonly height: number
  /** Output frame rate as a fraction string, e.g. `30/1`. */
  readonly frameRate: string
  readonly fps: number
  readonly sampleRate: number
}

export interface SegmentPlan {
  /** ffmpeg input index of the segment. */
  readonly input: number
  readonly hasAudio: boolean
  /** Frames dropped at the start (the seam duplicate) and the source's frame rate they are counted in. */
  readonly dropFrames: number
  readonly sourceFps: number
  /** Frames this segment contributes at the target rate. */
  readonly frames: number
}

export const aacOutput = (target: Target): ReadonlyArray<string> => [
  "-c:a",
  "aac",
  "-b:a",
  "192k",
  "-ar",
  String(target.sampleRate),
  "-ac",
  "2"
]

/** Samples of audio matching `frames` at the target rate. */
export const samplesFor = (frames: number, target: Target): number =>
  Math.round((frames * target.sampleRate) / target.fps)

export const videoChain = (segment: SegmentPlan, target: Target, label: string): string => {
  const { width: w, height: h } = target
  const drop = segment.dropFrames > 0 ? `trim=start_frame=${segment.dropFrames},` : ""
  return (
    `[${segment.input}:v:0]${drop}setpts=PTS-STARTPTS,` +
    `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,` +
    `fps=${target.frameRate},format=yuv420p,` +
    // Pad with the last frame if rounding left one short, then cut to the exact count.
    `tpad=stop_mode=clone:stop=2,trim=end_frame=${segment.frames},setpts=PTS-STARTPTS[${label}]`
  )
}

export const audioChain = (segment: SegmentPlan, target: Target, label: string): string => {
  const samples = samplesFor(segment.frames, target)
  const format = `aformat=sample_fmts=fltp:sample_rates=${target.sampleRate}:channel_layouts=stereo`
  if (!segment.hasAudio)
    return `anullsrc=r=${target.sampleRate}:cl=stereo,${format},atrim=end_sample=${samples}[${label}]`
  const skip = segment.dropFrames > 0 ? `atrim=start=${(segment.dropFrames / segment.sourceFps).toFixed(6)},` : ""
  return (
    `[${segment.input}:a:0]aresample=${target.sampleRate},${format},${skip}asetpts=PTS-STARTPTS,` +
    `apad=whole_len=${samples},atrim=end_sample=${samples}[${label}]`
  )
}

/** Concatenation of every segment's video and audio. */
export const concatGraph = (segments: ReadonlyArray<SegmentPlan>, target: Target, withVideo = true): string => {
  const chains = segments.flatMap((segment, i) => [
    ...(withVideo ? [videoChain(segment, target, `v${i}`)] : []),
    audioChain(segment, target, `a${i}`)
  ])
  const pads = segments.map((_, i) => (withVideo ? `[v${i}][a${i}]` : `[a${i}]`)).join("")
  const concat = `${pads}concat=n=${segments.length}:v=${withVideo ? 1 : 0}:a=1${withVideo ? "[v]" : ""}[a]`
  return [...chains, concat].join(";")
}

/** `xfade` + `acrossfade` chained over all segments (audio only without `withVideo`); each seam overlaps by `seconds`. */
export const crossfadeGraph = (
  segments: ReadonlyArray<SegmentPlan>,
  target: Target,
  seconds: number,
  withVideo = true
): string => {
  const chains = segments.flatMap((segment, i) => [
    ...(withVideo ? [videoChain(segment, target, `v${i}`)] : []),
    audioChain(segment, target, `a${i}`)
  ])
  const fades: Array<string> = []
  let length = segments[0]!.frames / target.fps
  let video = "v0"
  let audio = "a0"
  for (let i = 1; i < segments.length; i++) {
    const last = i === segments.length - 1
    const nextVideo = last ? "v" : `vx${i}`
    const nextAudio = last ? "a" : `ax${i}`
    if (withVideo) {
      fades.push(
        `[${video}][v${i}]xfade=transition=fade:duration=${seconds}:offset=${(length - seconds).toFixed(6)}[${nextVideo}]`
      )
    }
    fades.push(`[${audio}][a${i}]acrossfade=d=${seconds}:c1=tri:c2=tri[${nextAudio}]`)
    length += segments[i]!.frames / target.fps - seconds
    video = nextVideo
    audio = nextAudio
  }
  if (segments.length === 1) fades.push(...(withVideo ? ["[v0]null[v]"] : []), "[a0]anull[a]")
  return [...chains, ...fades].join(";")
}

/** The output format of a re-encode: the first segment's size and frame rate, stereo AAC. */
export const targetOf = (segments: ReadonlyArray<MediaInfo>): Target => {
  const video = segments[0]!.video!
  const fps = video.fps > 0 ? video.fps : 30
  return {
    width: video.width,
    height: video.height,
    frameRate: video.fps > 0 && !video.variableFrameRate ? video.frameRate : String(Math.round(fps)),
    fps: video.fps > 0 && !video.variableFrameRate ? fps : Math.round(fps),
    sampleRate: segments.find((s) => s.audio)?.audio?.sampleRate ?? 48000
  }
}

/** How each segment maps onto the re-encoding filter graphs. */
export const segmentPlans = (segments: ReadonlyArray<MediaInfo>, target: Target, drop: boolean) =>
  segments.map((segment, i): SegmentPlan => {
    const video = segment.video!
    const dropFrames = drop && i > 0 ? 1 : 0
    const sourceFps = video.fps > 0 ? video.fps : target.fps
    return {
      input: i,
      hasAudio: segment.audio !== undefined,
      dropFrames,
      sourceFps,
      frames: Math.max(1, Math.round((video.duration - dropFrames / sourceFps) * target.fps))
    }
  })
