/**
 * ffprobe as a service: streams, codecs, size, frame rate, duration and frame count of a media file, and the
 * keyframe positions the smart cut needs. Stream info goes through fluent-ffmpeg's ffprobe wrapper; packet
 * listings go straight to ffprobe (the wrapper only parses stream and format sections).
 */
import { Context, Data, Effect, Layer } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"

export class ProbeError extends Data.TaggedError("ProbeError")<{
  readonly path: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `ffprobe ${this.path}: ${this.reason}`
  }
}

export interface VideoStream {
  readonly index: number
  readonly codec: string
  readonly profile: string | undefined
  readonly level: number | undefined
  readonly pixFmt: string | undefined
  /** Displayed size: swapped when the stream carries a 90° rotation. */
  readonly width: number
  readonly height: number
  readonly codedWidth: number
  readonly codedHeight: number
  readonly rotation: number
  /** `r_frame_rate` as a fraction string (`30/1`) and as a number. */
  readonly frameRate: string
  readonly fps: number
  /** True when `avg_frame_rate` differs from `r_frame_rate` (timestamps are not evenly spaced). */
  readonly variableFrameRate: boolean
  readonly timeBase: string
  readonly startTime: number
  readonly duration: number
  readonly frames: number
  /** Decoder delay from B-frame reordering (0 = no B-frames). */
  readonly hasBFrames: number
  readonly sampleAspectRatio: string | undefined
  readonly colorRange: string | undefined
  readonly colorSpace: string | undefined
  readonly colorPrimaries: string | undefined
  readonly colorTransfer: string | undefined
}

export interface AudioStream {
  readonly index: number
  readonly codec: string
  readonly profile: string | undefined
  readonly sampleRate: number
  readonly channels: number
  readonly channelLayout: string | undefined
  readonly timeBase: string
  /** Stream start in `timeBase` units as ffprobe reports it, i.e. after the edit list (priming not included). */
  readonly startPts: number
  readonly duration: number
  readonly packets: number
  readonly bitRate: number | undefined
}

export interface MediaInfo {
  readonly path: string
  readonly formatName: string
  readonly duration: number
  readonly size: number
  readonly video: VideoStream | undefined
  readonly audio: AudioStream | undefined
  readonly streamCount: number
}

type Raw = Record<string, unknown>

const num = (value: unknown): number | undefined => {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}
const str = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "N/A" && value !== "unknown" && value !== "" ? value : undefined

/** `30000/1001` → 29.97; `0/0` → 0. */
export const ratio = (fraction: string | undefined): number => {
  const [n, d] = (fraction ?? "0/0").split("/").map(Number)
  return n !== undefined && d !== undefined && d !== 0 && Number.isFinite(n / d) ? n / d : 0
}

const toVideo = (s: Raw, formatDuration: number): VideoStream => {
  const rotation = num(s.rotation) ?? num((s["TAG:rotate"] as string | undefined) ?? "") ?? 0
  const quarter = Math.abs(rotation) % 180 === 90
  const codedWidth = num(s.width) ?? 0
  const codedHeight = num(s.height) ?? 0
  const frameRate = str(s.r_frame_rate) ?? "0/0"
  const avg = str(s.avg_frame_rate) ?? frameRate
  const fps = ratio(frameRate) || ratio(avg)
  const duration = num(s.duration) ?? formatDuration
  return {
    index: num(s.index) ?? 0,
    codec: str(s.codec_name) ?? "unknown",
    profile: str(s.profile),
    level: num(s.level),
    pixFmt: str(s.pix_fmt),
    width: quarter ? codedHeight : codedWidth,
    height: quarter ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    frameRate,
    fps,
    variableFrameRate: Math.abs(ratio(avg) - ratio(frameRate)) > 1e-3,
    timeBase: str(s.time_base) ?? "1/90000",
    startTime: num(s.start_time) ?? 0,
    duration,
    frames: num(s.nb_read_packets) ?? num(s.nb_frames) ?? Math.round(duration * fps),
    hasBFrames: num(s.has_b_frames) ?? 0,
    sampleAspectRatio: str(s.sample_aspect_ratio),
    colorRange: str(s.color_range),
    colorSpace: str(s.color_space),
    colorPrimaries: str(s.color_primaries),
    colorTransfer: str(s.color_transfer)
  }
}

const toAudio = (s: Raw, formatDuration: number): AudioStream => ({
  index: num(s.index) ?? 0,
  codec: str(s.codec_name) ?? "unknown",
  profile: str(s.profile),
  sampleRate: num(s.sample_rate) ?? 0,
  channels: num(s.channels) ?? 0,
  channelLayout: str(s.channel_layout),
  timeBase: str(s.time_base) ?? "1/48000",
  startPts: num(s.start_pts) ?? 0,
  duration: num(s.duration) ?? formatDuration,
  packets: num(s.nb_read_packets) ?? num(s.nb_frames) ?? 0,
  bitRate: num(s.bit_rate)
})

export interface ProbeOptions {
  /** `false`: never demux the whole file; counts then fall back to duration × frame rate. */
  readonly countPackets?: boolean
}

export class Probe extends Context.Service<
  Probe,
  {
    /** Reads the header; counts packets with a demux pass only when the container has no counts (not MP4/MOV), unless `countPackets: false`. */
    readonly probe: (path: string, options?: ProbeOptions) => Effect.Effect<MediaInfo, ProbeError>
    /** pts (in the video stream's time base) of the keyframes in the first `withinSeconds` of the file. */
    readonly keyframes: (path: string, withinSeconds: number) => Effect.Effect<ReadonlyArray<number>, ProbeError>
  }
>()("@longsora/ffmpeg-combiner/Probe") {}

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary

  const read = (path: string, counting: boolean) =>
    Effect.flatMap(
      // Loaded on first use: an MP4's header answers most questions without it.
      Effect.promise(() => import("fluent-ffmpeg")),
      ({ default: ffmpeg }) =>
        Effect.callback<{ format: Raw; streams: Array<Raw> }, ProbeError>((resume) => {
          ffmpeg(path)
            .setFfprobePath(binary.ffprobe)
            .ffprobe(counting ? ["-count_packets"] : [], (error, data) => {
              if (error)
                return resume(Effect.fail(new ProbeError({ path, reason: String(error.message), cause: error })))
              resume(
                Effect.succeed({
                  format: data.format as unknown as Raw,
                  streams: data.streams as unknown as Array<Raw>
                })
              )
            })
        })
    )

  const probe = Effect.fnUntraced(function* (path: string, options: ProbeOptions = {}) {
    let { format, streams } = yield* read(path, false)
    const isVideo = (s: Raw) => s.codec_type === "video" && s["DISPOSITION:attached_pic"] !== 1
    const pick = () => ({ video: streams.find(isVideo), audio: streams.find((s) => s.codec_type === "audio") })
    // MP4/MOV headers carry exact packet counts; other containers need a demux pass (-count_packets) for them.
    const uncounted = [pick().video, pick().audio].some((s) => s !== undefined && num(s.nb_frames) === undefined)
    if (uncounted && options.countPackets !== false) ({ format, streams } = yield* read(path, true))
    const { video, audio } = pick()
    const formatDuration = num(format.duration) ?? 0
    return {
      path,
      formatName: str(format.format_name) ?? "unknown",
      duration: formatDuration,
      size: num(format.size) ?? 0,
      video: video ? toVideo(video, formatDuration) : undefined,
      audio: audio ? toAudio(audio, formatDuration) : undefined,
      streamCount: streams.length
    } satisfies MediaInfo
  })

  const keyframes = (path: string, withinSeconds: number) =>
    run(binary.ffprobe, [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-read_intervals",
      `%+${withinSeconds}`,
      "-show_entries",
      "packet=pts,flags",
      "-of",
      "csv=p=0",
      path
    ]).pipe(
      Effect.map(({ stdout }) =>
        stdout
          .split("\n")
          .map((line) => line.split(","))
          .filter(([pts, flags]) => flags?.startsWith("K") && pts !== undefined && pts !== "N/A")
          .map(([pts]) => Number(pts))
          .sort((a, b) => a - b)
      ),
      Effect.mapError((error) => new ProbeError({ path, reason: error.reason, cause: error }))
    )

  return Probe.of({ probe, keyframes })
})

export const layer: Layer.Layer<Probe, never, FfmpegBinary> = Layer.effect(Probe, make)
