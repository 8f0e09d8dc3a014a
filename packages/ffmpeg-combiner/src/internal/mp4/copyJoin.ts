/**
 * A join without ffmpeg: when every segment is an MP4 with the same video sample description (and the same AAC
 * configuration, or no audio at all), the output is their samples back to back under one new header, and the
 * media bytes are copied as whole ranges — the cost of `cp`. H.264 segments whose SPS/PPS differ (separate encodes)
 * qualify too: a segment's parameter sets go in-band in front of its first keyframe where they change. A `Cut`
 * seam drops the repeated frame from the END of segment k: when decode order is display order nothing refers to a
 * clip's last frame, so that is a copy too. Streams with B-frames (the last shown frame is referenced) take the
 * smart cut instead (`SmartCutJoin`, which shares the checks and audio runs here).
 */

import * as JoinPlan from "../../JoinPlan.ts"
import { type AvcConfig, avcConfig, parameterSetSwitcher } from "./avc.ts"
import { boxes } from "./boxes.ts"
import type { OutputTrack, Piece, SampleRun } from "./layout.ts"
import { type Movie, readMovie, type Track } from "./tables.ts"

export type Blocker = string

export interface Plan {
  readonly pieces: ReadonlyArray<Piece>
  readonly outputs: ReadonlyArray<OutputTrack>
  /** The output's video length in seconds. */
  readonly seconds: number
  /** Video frames in the output. */
  readonly frames: number
}

/** AAC-LC frames are 1024 samples. */
const AAC_FRAME = 1024

/** The `esds` descriptors of an `mp4a` sample entry: object type and decoder config, bitrates aside. */
const aacConfig = (
  stsd: Buffer
): { readonly objectType: number; readonly sampleRate: number; readonly config: string } | undefined => {
  // stsd: header 8, version/flags 4, count 4, then the entry: header 8 + 28 bytes of audio fields, then its boxes.
  if (stsd.toString("latin1", 20, 24) !== "mp4a") return undefined
  const esds = stsd.indexOf("esds", 16 + 8 + 28, "latin1")
  if (esds < 0) return undefined
  let at = esds + 4 + 4
  const descriptor = () => {
    const tag = stsd.readUInt8(at++)
    let length = 0
    for (let n = 0; n < 4; n++) {
      const byte = stsd.readUInt8(at++)
      length = (length << 7) | (byte & 0x7f)
      if ((byte & 0x80) === 0) break
    }
    return { tag, length, start: at }
  }
  try {
    const es = descriptor()
    if (es.tag !== 0x03) return undefined
    const flags = stsd.readUInt8(es.start + 2)
    at = es.start + 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x20 ? 2 : 0)
    if (flags & 0x40) at += 1 + stsd.readUInt8(at)
    const decoderConfig = descriptor()
    if (decoderConfig.tag !== 0x04 || stsd.readUInt8(decoderConfig.start) !== 0x40) return undefined
    at = decoderConfig.start + 13
    const specific = descriptor()
    if (specific.tag !== 0x05) return undefined
    const config = stsd.subarray(specific.start, specific.start + specific.length)
    const channelsAndRate = stsd.toString("hex", 16 + 8 + 16, 16 + 8 + 28)
    const sampleRate = stsd.readUInt16BE(16 + 8 + 24)
    return { objectType: config.readUInt8(0) >> 3, sampleRate, config: `${config.toString("hex")}/${channelsAndRate}` }
  } catch {
    return undefined
  }
}

/**
 * A visual sample entry (codec, size, colour, aspect, and `avcC` with SPS/PPS unless `withAvcC` is false) without
 * what does not change how samples decode: the `btrt` bitrates and the compressor name.
 */
const videoDescription = (stsd: Buffer, withAvcC = true) => {
  // stsd: header 8, version/flags 4, count 4; the entry: header 8, then 78 bytes of visual fields, then its boxes.
  const entry = 16
  const fields = Buffer.from(stsd.subarray(entry + 4, entry + 8 + 78))
  // The 32-byte compressor name sits 42 bytes into the visual fields (after the 4-byte type kept above).
  fields.fill(0, 4 + 42, 4 + 74)
  const children = boxes(stsd, entry + 8 + 78, stsd.length).filter(
    (b) => b.type !== "btrt" && (withAvcC || b.type !== "avcC")
  )
  return Buffer.concat([fields, ...children.map((b) => stsd.subarray(b.start - 8, b.end))])
}

/**
 * Whether `b`'s samples play on under `a`'s sample description: the same description, or H.264 that differs only
 * in its parameter sets (then carried in-band where they change), with the same clock and B-frame delay.
 */
const sameVideo = (a: Track, b: Track, aConfig: AvcConfig | undefined, bConfig: AvcConfig | undefined) =>
  (videoDescription(a.headers.stsd).equals(videoDescription(b.headers.stsd)) ||
    (aConfig !== undefined &&
      bConfig !== undefined &&
      aConfig.lengthSize === bConfig.lengthSize &&
      videoDescription(a.headers.stsd, false).equals(videoDescription(b.headers.stsd, false)))) &&
  a.timescale === b.timescale &&
  a.editMediaTime === b.editMediaTime &&
  (a.compositionOffsets === undefined) === (b.compositionOffsets === undefined)

/** Decode order is display order: no composition offsets, or the same one for every frame. */
const inDisplayOrder = (track: Track) =>
  !track.compositionOffsets || track.compositionOffsets.every((v) => v === track.compositionOffsets![0])

const sum = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let total = 0
  for (let i = from; i < to; i++) total += values[i]!
  return total
}

export interface SharedTracks {
  readonly videos: ReadonlyArray<Track>
  readonly audios: ReadonlyArray<Track> | undefined
  /** Each video's H.264 configuration; `undefined` for other codecs (whose descriptions are then all the same). */
  readonly configs: ReadonlyArray<AvcConfig | undefined>
}

/** The tracks of segments whose video plays on under segment 1's sample description; a blocker otherwise. */
export const sharedTracks = (movies: ReadonlyArray<Movie>): SharedTracks | Blocker => {
  const videoIndex = movies.map((m) => m.tracks.findIndex((t) => t.handler === "vide"))
  const audioIndex = movies.map((m) => m.tracks.findIndex((t) => t.handler === "soun"))
  if (videoIndex.some((i) => i < 0)) return "a segment has no video track"
  if (movies.some((m) => m.tracks.filter((t) => t.handler === "vide" || t.handler === "soun").length > 2)) {
    return "a segment has several video or audio tracks"
  }
  // The output keeps the first segment's track order, so every segment must have it.
  if (movies.some((_, i) => videoIndex[i] !== videoIndex[0] || audioIndex[i] !== audioIndex[0])) {
    return "segments order their tracks differently"
  }
  const videos = movies.map((m, i) => m.tracks[videoIndex[i]!]!)
  const configs = videos.map((v) => avcConfig(v.headers.stsd))
  if (videos.some((v, i) => !sameVideo(videos[0]!, v, configs[0], configs[i]))) {
    return "segments differ in video codec parameters"
  }
  if (videos.some((v) => v.sizes.length < 2)) return "a segment has fewer than two frames"
  const audios = audioIndex[0]! < 0 ? undefined : movies.map((m, i) => m.tracks[audioIndex[i]!]!)
  return { videos, audios, configs }
}

/** Whether `sample` of `track` is a sync sample (a keyframe a decoder can start from). */
export const isSync = (track: Track, sample: number) => !track.sync || track.sync.includes(sample)

/** Seconds of each segment's video that the output shows: from `start` for `length`. */
export interface ShownVideo {
  readonly start: number
  readonly length: number
}

/**
 * The AAC packets that keep every segment's audio with its shown video, as one run per segment, and the output
 * track's timing; a blocker when the audio cannot be copied.
 */
export const audioRuns = (
  audios: ReadonlyArray<Track>,
  shown: ReadonlyArray<ShownVideo>
): { readonly runs: ReadonlyArray<SampleRun>; readonly output: OutputTrack } | Blocker => {
  const configs = audios.map((a) => aacConfig(a.headers.stsd))
  if (configs.some((c) => c === undefined || c.objectType !== 2)) return "audio is not AAC-LC"
  if (configs.some((c) => c!.config !== configs[0]!.config)) return "segments differ in audio parameters"
  // Packet timing below counts in samples: the track's clock must be the sample rate.
  if (audios.some((a, i) => a.timescale !== configs[i]!.sampleRate)) return "audio time base is not the sample rate"
  if (audios.some((a) => a.durations.slice(0, -1).some((d) => d !== AAC_FRAME)))
    return "audio packets are not 1024 samples"
  const ranges = JoinPlan.selectAudioPackets(
    audios.map((audio, i) => ({
      packets: audio.sizes.length,
      startPts: -audio.editMediaTime,
      videoStart: shown[i]!.start,
      videoLength: shown[i]!.length
    })),
    audios[0]!.timescale,
    AAC_FRAME
  )
  if (!ranges) return "a segment's audio is shorter than its video"
  // Segment 1's skipped packets are its encoder priming: kept, so the decoder starts warm, and skipped by the edit.
  return {
    runs: ranges.map((range, i) => ({
      track: audios[i]!,
      first: i === 0 ? 0 : range.first,
      count: i === 0 ? range.first + range.count : range.count
    })),
    output: { editMediaTime: ranges[0]!.first * AAC_FRAME, sampleDuration: AAC_FRAME }
  }
}

/** Why these movies cannot be joined in-process, or the plan. `dropSeams`: drop the last frame of all but the last. */
export const planFor = (movies: ReadonlyArray<Movie>, dropSeams: boolean): Plan | Blocker => {
  const tracks = sharedTracks(movies)
  if (typeof tracks === "string") return tracks
  const { videos, audios, configs } = tracks
  if (dropSeams && !videos.every(inDisplayOrder)) return "B-frames: the last frame is referenced"
  const keptFrames = videos.map((v, i) => v.sizes.length - (dropSeams && i < videos.length - 1 ? 1 : 0))
  const switchTo = configs[0] && parameterSetSwitcher(configs[0])
  const videoRuns = videos.map((track, i): SampleRun => {
    const prefix = i > 0 && switchTo ? switchTo(configs[i]!) : undefined
    return { track, first: 0, count: keptFrames[i]!, prefix }
  })
  const unclean = videoRuns.findIndex((run) => run.prefix && !isSync(run.track, 0))
  if (unclean >= 0) return `segment ${unclean + 1} switches parameter sets but does not start on a keyframe`
  const shown = videos.map((v, i) => ({ start: 0, length: sum(v.durations, 0, keptFrames[i]) / v.timescale }))
  const video: OutputTrack = { editMediaTime: videos[0]!.editMediaTime }
  const seconds = sum(shown.map((s) => s.length))
  const frames = sum(keptFrames)
  if (!audios) {
    return { pieces: movies.map((movie, i) => ({ movie, runs: [videoRuns[i]] })), outputs: [video], seconds, frames }
  }
  const audio = audioRuns(audios, shown)
  if (typeof audio === "string") return audio
  return {
    pieces: movies.map((movie, i) => ({ movie, runs: [videoRuns[i], audio.runs[i]] })),
    outputs: [video, audio.output],
    seconds,
    frames
  }
}

/** Reads every segment's header; a blocker when one is not a plain MP4. */
export const readSegments = async (paths: ReadonlyArray<string>): Promise<ReadonlyArray<Movie> | Blocker> => {
  const movies = await Promise.all(paths.map((path) => readMovie(path).catch(() => undefined)))
  const unreadable = movies.indexOf(undefined)
  return unreadable >= 0
    ? `segment ${unreadable + 1} is not an MP4 whose header can be copied`
    : (movies as Array<Movie>)
}

/** Whether a later `Cut` join could copy this segment whole but its last frame (no smart cut to prepare). */
export const cuttableByCopy = async (path: string): Promise<boolean> => {
  const movie = await readMovie(path).catch(() => undefined)
  const video = movie?.tracks.find((t) => t.handler === "vide")
  return video !== undefined && inDisplayOrder(video)
}
