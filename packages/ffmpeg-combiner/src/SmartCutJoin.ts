/**
 * The smart cut's join without ffmpeg: segment 1 whole, then for every later segment its re-encoded head (frames
 * 1 up to its first keyframe after frame 0, from `SmartCut`) and its copied tail, under one new header, the media
 * bytes copied as whole ranges like `CopyJoin`. A head encoded with other parameter sets carries them in-band in
 * front of its keyframe, and the tail after it gets its segment's back the same way. Every run is checked to show
 * its frames in order at the output's frame rate, so a layout the encoder did not reproduce (an open GOP, another
 * B-frame delay) falls back to ffmpeg instead of shipping a wrong frame.
 */
import { audioRuns, type Blocker, isSync, type Plan, sharedTracks } from "./CopyJoin.ts"
import { avcConfig, parameterSetSwitcher } from "./internal/avc.ts"
import type { Piece, SampleRun } from "./internal/mp4Concat.ts"
import { type Movie, readMovie, type Track } from "./internal/mp4Tables.ts"
import type { PreparedHead } from "./SmartCut.ts"

export interface SeamHead {
  /** The later segment's first keyframe after frame 0 (its tail starts there; `frames` when it has none). */
  readonly keyframe: number
  /** The re-encoded frames `[1, keyframe)`; absent when `keyframe` is 1. */
  readonly head: Movie | undefined
}

/**
 * Whether samples `[first, first + count)`, laid out `frameTicks` apart in decode order, show frames `0…count-1`
 * once each under an edit starting at `editMediaTime`: a clean entry at `first` and no frame before or after.
 */
export const showsInOrder = (
  track: Track,
  first: number,
  count: number,
  editMediaTime: number,
  frameTicks: number
): boolean => {
  const seen = new Uint8Array(count)
  for (let i = first; i < first + count; i++) {
    const shown = (i - first) * frameTicks + (track.compositionOffsets?.[i] ?? 0) - editMediaTime
    const position = shown / frameTicks
    if (!Number.isInteger(position) || position < 0 || position >= count || seen[position]) return false
    seen[position] = 1
  }
  return true
}

/** A visual sample entry's type and coded size: what a head must share with its segment to play in its place. */
const entryShape = (stsd: Buffer) => `${stsd.toString("latin1", 20, 24)}/${stsd.readUInt32BE(16 + 8 + 24)}`

/** Why the smart cut cannot be written in-process, or the plan. `seams[k]` belongs to `movies[k + 1]`. */
export const planFor = (movies: ReadonlyArray<Movie>, seams: ReadonlyArray<SeamHead>): Plan | Blocker => {
  const tracks = sharedTracks(movies)
  if (typeof tracks === "string") return tracks
  const { videos, audios, configs } = tracks
  if (seams.length !== movies.length - 1) return "a seam is missing"
  const first = videos[0]!
  if (configs.some((config) => config === undefined)) return "video is not H.264 with an avcC configuration"
  const frameTicks = first.durations[0]!
  const edit = first.editMediaTime
  // Per segment: the run from a re-encoded head (later segments only) and the run copied from the segment itself.
  const runsOf: Array<{ readonly head: SampleRun | undefined; readonly own: SampleRun | undefined }> = []
  // Parameter sets go in-band where a run's differ from the ones in force, and only there.
  const switchTo = parameterSetSwitcher(configs[0]!)

  if (!showsInOrder(first, 0, first.sizes.length, edit, frameTicks)) return "segment 1 is not at a constant frame rate"
  runsOf.push({ head: undefined, own: { track: first, first: 0, count: first.sizes.length } })
  for (const [k, seam] of seams.entries()) {
    const video = videos[k + 1]!
    const frames = video.sizes.length
    let head: SampleRun | undefined
    let own: SampleRun | undefined
    if (seam.keyframe < 1 || seam.keyframe > frames) return `segment ${k + 2}: no keyframe ${seam.keyframe}`
    if (seam.keyframe > 1) {
      const track = seam.head?.tracks.find((t) => t.handler === "vide")
      const config = track && avcConfig(track.headers.stsd)
      if (!track || !config) return `segment ${k + 2}: its re-encoded head is not H.264 in an MP4`
      if (
        config.lengthSize !== configs[0]!.lengthSize ||
        entryShape(track.headers.stsd) !== entryShape(first.headers.stsd)
      )
        return `segment ${k + 2}: its re-encoded head has another sample layout`
      if (
        track.timescale !== video.timescale ||
        track.sizes.length !== seam.keyframe - 1 ||
        !isSync(track, 0) ||
        !showsInOrder(track, 0, track.sizes.length, edit, frameTicks)
      )
        return `segment ${k + 2}: its re-encoded head does not show frames 1–${seam.keyframe - 1} in order`
      head = { track, first: 0, count: track.sizes.length, prefix: switchTo(config) }
    }
    if (seam.keyframe < frames) {
      const count = frames - seam.keyframe
      if (!isSync(video, seam.keyframe) || !showsInOrder(video, seam.keyframe, count, edit, frameTicks))
        return `segment ${k + 2}: frame ${seam.keyframe} is not a clean entry point`
      own = { track: video, first: seam.keyframe, count, prefix: switchTo(configs[k + 1]!) }
    }
    runsOf.push({ head, own })
  }

  const shown = videos.map((video, i) => {
    const dropped = i === 0 ? 0 : 1
    return {
      start: (dropped * frameTicks) / video.timescale,
      length: ((video.sizes.length - dropped) * frameTicks) / video.timescale
    }
  })
  const audio = audios && audioRuns(audios, shown)
  if (typeof audio === "string") return audio
  // A later segment with a head is two pieces: the head's file, then the segment's own with its audio.
  const pieces = movies.flatMap((movie, i): Array<Piece> => {
    const { head, own } = runsOf[i]!
    const segment: Piece = { movie, runs: audio ? [own, audio.runs[i]] : [own] }
    return head ? [{ movie: seams[i - 1]!.head!, runs: [head] }, segment] : [segment]
  })
  const frames = runsOf.reduce((sum, { head, own }) => sum + (head?.count ?? 0) + (own?.count ?? 0), 0)
  return {
    pieces,
    outputs: [{ editMediaTime: edit, sampleDuration: frameTicks }, ...(audio ? [audio.output] : [])],
    seconds: (frames * frameTicks) / first.timescale,
    frames
  }
}

/** Reads the heads' headers and plans the join; a blocker when a head cannot be read. */
export const read = async (
  movies: ReadonlyArray<Movie>,
  heads: ReadonlyArray<PreparedHead>
): Promise<Plan | Blocker> => {
  const seams: Array<SeamHead> = []
  for (const { seam, head } of heads) {
    const movie = head === undefined ? undefined : await readMovie(head).catch(() => undefined)
    if (head !== undefined && movie === undefined) return `the re-encoded head ${head} is not a plain MP4`
    seams.push({ keyframe: seam.keyframe, head: movie })
  }
  return planFor(movies, seams)
}
