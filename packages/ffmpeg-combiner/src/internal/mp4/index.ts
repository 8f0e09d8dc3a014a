/**
 * The only way into the in-process MP4 layer (see README.md beside this file). Every function here ends in one of
 * two ways, and never throws: **parsed** (the value) or **fall back** (`undefined` for a reader, a `Blocker` string
 * saying why for a planner), and the caller then lets ffmpeg do the work. Only `writeJoin` and `streamLayout` can
 * fail, and only with the I/O errors of writing the output or reading sources that changed since they were planned.
 */
import { open } from "node:fs/promises"
import * as AudioSwap from "./audioSwap.ts"
import { type AvcConfig, inBandParameterSets, isIdrSample, avcConfig as readAvcConfig } from "./avc.ts"
import * as Boxes from "./boxes.ts"
import * as CopyJoin from "./copyJoin.ts"
import { lastFrameClip as layoutLastFrameClip } from "./lastFrameClip.ts"
import { type Layout, layoutMovies, writeLayout } from "./layout.ts"
import * as SmartCutJoin from "./smartCutJoin.ts"
import * as Tables from "./tables.ts"

export { AdtsSplitter } from "./adts.ts"
export type { AvcConfig } from "./avc.ts"
export type { Blocker } from "./copyJoin.ts"
export type { Layout, SampleRun } from "./layout.ts"
export { streamLayout } from "./layout.ts"
export type { HeadFile, SeamHead } from "./smartCutJoin.ts"
export type { Movie, Track, VideoTiming } from "./tables.ts"
export { eachSample } from "./tables.ts"

/** A join planned in-process: the output's header and byte ranges, ready to write. */
export interface Join {
  readonly layout: Layout
  /** The output's video length in seconds. */
  readonly seconds: number
  /** Video frames in the output. */
  readonly frames: number
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Runs a reader; whatever it throws (a read past a malformed box, a vanished file) is a fall back. */
const guard = async <A>(read: () => Promise<A | undefined>): Promise<A | undefined> => {
  try {
    return await read()
  } catch {
    return undefined
  }
}

/** Runs a planner; a throw is a fall back with its message. The plan's layout is made here, so a header that
 * cannot be written (a length that does not fit its field) falls back now, not half-way through the write. */
const planned = (plan: () => CopyJoin.Plan | CopyJoin.Blocker): Join | CopyJoin.Blocker => {
  try {
    const made = plan()
    if (typeof made === "string") return made
    return { layout: layoutMovies(made.pieces, made.outputs), seconds: made.seconds, frames: made.frames }
  } catch (error) {
    return `the MP4 headers could not be joined: ${reason(error)}`
  }
}

/** An MP4's sample tables and the header boxes a writer copies; `undefined` unless it is a plain (unfragmented)
 * MP4 with one sample description and at most one edit per track. */
export const readMovie = (path: string): Promise<Tables.Movie | undefined> => guard(() => Tables.readMovie(path))

/** What the last-frame extraction needs from a header: size, shown start and length, frame rate. */
export const videoTiming = (movie: Tables.Movie): Tables.VideoTiming | undefined => {
  try {
    return Tables.videoTiming(movie)
  } catch {
    return undefined
  }
}

/** 0-based decode-order indices of the video's sync samples (`"all"`: no `stss`, every sample is one). */
export const videoSyncSamples = (path: string): Promise<ReadonlyArray<number> | "all" | undefined> =>
  guard(() => Boxes.videoSyncSamples(path))

/** The first audio track's encoder priming in seconds (the edit list's media time). */
export const audioPrimingSeconds = (path: string): Promise<number | undefined> =>
  guard(() => Boxes.audioPrimingSeconds(path))

/** An H.264 sample entry's `avcC`: NAL length size and parameter sets. */
export const avcConfig = (stsd: Buffer): AvcConfig | undefined => readAvcConfig(stsd)

/** The parameter sets of `config` as in-band NAL units (what a switch writes in front of a keyframe). */
export const parameterSetsInBand = (config: AvcConfig) => inBandParameterSets(config)

/**
 * Indices of the first `limit` IDR frames of the video: the sync samples whose first slice is an IDR (an open
 * GOP's I-frame is a sync sample but not a clean entry point). For an IDR, decode and display indices agree.
 * `undefined` when the file is not an H.264 MP4 `readMovie` takes.
 */
export const videoIdrFrames = (path: string, limit = 2): Promise<ReadonlyArray<number> | undefined> =>
  guard(async () => {
    const video = (await Tables.readMovie(path))?.tracks.find((t) => t.handler === "vide")
    const config = video && readAvcConfig(video.headers.stsd)
    if (!video || !config) return undefined
    const candidates = video.sync ?? Array.from(video.sizes.keys())
    const file = await open(path, "r")
    try {
      const idr: Array<number> = []
      for (const sample of candidates) {
        if (await isIdrSample(file, video.offsets[sample]!, video.sizes[sample]!, config.lengthSize)) idr.push(sample)
        if (idr.length === limit) break
      }
      return idr
    } finally {
      await file.close()
    }
  })

/** Every segment's header; a blocker naming the first that is not a plain MP4. */
export const readSegments = (paths: ReadonlyArray<string>): Promise<ReadonlyArray<Tables.Movie> | CopyJoin.Blocker> =>
  CopyJoin.readSegments(paths).catch((error) => `a segment could not be read: ${reason(error)}`)

/** What the audio blend needs of a segment, from its header: its video's length and rate, and its sound's format. */
export interface Streams {
  readonly video: { readonly duration: number; readonly fps: number }
  readonly audio:
    | { readonly sampleRate: number; readonly channels: number; readonly bitRate: number | undefined }
    | undefined
}

/** `movie`'s streams for the audio blend; `undefined` (ask ffprobe) unless its video is plain and its sound AAC. */
export const streamsOf = (movie: Tables.Movie): Streams | undefined => {
  const video = videoTiming(movie)
  const sounds = movie.tracks.filter((t) => t.handler === "soun")
  if (!video || sounds.length > 1) return undefined
  const sound = sounds[0]
  if (!sound) return { video, audio: undefined }
  const { stsd } = sound.headers
  // stsd: header 8, version/flags 4, count 4; the audio entry's channel count sits 16 bytes into its payload.
  if (stsd.length < 16 + 8 + 28 || stsd.toString("latin1", 20, 24) !== "mp4a") return undefined
  const sampleRate = stsd.readUInt16BE(16 + 8 + 24)
  if (sampleRate !== sound.timescale) return undefined
  const seconds = Tables.shownTicks(sound.durations, undefined, sound.editMediaTime) / sound.timescale
  const bytes = sound.sizes.reduce((sum, size) => sum + size, 0)
  return {
    video,
    audio: {
      sampleRate,
      channels: stsd.readUInt16BE(16 + 8 + 16),
      bitRate: seconds > 0 ? Math.round((bytes * 8) / seconds) : undefined
    }
  }
}

/** The copy join of `movies` (`dropSeams`: drop the last frame of all but the last), or why there is none. */
export const planCopy = (movies: ReadonlyArray<Tables.Movie>, dropSeams: boolean): Join | CopyJoin.Blocker =>
  planned(() => CopyJoin.planFor(movies, dropSeams))

/** `movie` with its audio replaced by `sound`'s one audio track, the video copied as it lies; or why not. */
export const planAudioSwap = (movie: Tables.Movie, sound: Tables.Movie): Join | CopyJoin.Blocker =>
  planned(() => AudioSwap.planFor(movie, sound))

/** The smart cut's in-process join of `movies` with each later segment's head (`seams[k]` for `movies[k + 1]`). */
export const planSmartCut = (
  movies: ReadonlyArray<Tables.Movie>,
  seams: ReadonlyArray<SmartCutJoin.SeamHead>
): Join | CopyJoin.Blocker => planned(() => SmartCutJoin.planFor(movies, seams))

/** `planSmartCut` with the heads read from the files `SmartCut` encoded them to. */
export const readSmartCut = async (
  movies: ReadonlyArray<Tables.Movie>,
  heads: ReadonlyArray<SmartCutJoin.HeadFile>
): Promise<Join | CopyJoin.Blocker> => {
  const seams: Array<SmartCutJoin.SeamHead> = []
  for (const { seam, head } of heads) {
    const movie = head === undefined ? undefined : await readMovie(head)
    if (head !== undefined && movie === undefined) return `the re-encoded head ${head} is not a plain MP4`
    seams.push({ keyframe: seam.keyframe, head: movie })
  }
  return planSmartCut(movies, seams)
}

/** Whether a later `Cut` join could copy this segment whole but its last frame (no smart cut to prepare). */
export const cuttableByCopy = async (path: string): Promise<boolean> =>
  (await guard(() => CopyJoin.cuttableByCopy(path))) ?? false

/** Writes a planned join to `destination` (not atomically: the caller writes to a temporary name). */
export const writeJoin = (join: Join, destination: string): Promise<void> => writeLayout(join.layout, destination)

/** A small MP4 of the clip's last keyframe interval whose edit shows only its last frame (see lastFrameClip.ts). */
export const lastFrameClip = (movie: Tables.Movie): Layout | undefined => {
  try {
    return layoutLastFrameClip(movie)
  } catch {
    return undefined
  }
}

/** Whether runs played back to back show frames `0…n-1` once each, in order (the smart cut's check). */
export const showsInOrder = SmartCutJoin.showsInOrder
