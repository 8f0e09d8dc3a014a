/**
 * The smart cut's join without ffmpeg: segment 1 whole, then for every later segment its re-encoded head (frames
 * 1 up to its first keyframe after frame 0, from `SmartCut`) and its copied tail, under one new header, the media
 * bytes copied as whole ranges like `CopyJoin`. A head encoded with other parameter sets carries them in-band in
 * front of its keyframe, and the tail after it gets its segment's back the same way. A tail starts on an IDR
 * (`SmartCut` finds it): after an open GOP's I-frame, frames still refer to the pictures the head replaced. Every
 * run is checked to show its frames in order at the output's frame rate, so a layout the encoder did not
 * reproduce (another B-frame delay) falls back to ffmpeg instead of shipping a wrong frame.
 */

import { avcConfig, parameterSetSwitcher } from "./avc.ts"
import { audioRuns, type Blocker, isSync, type Plan, sharedTracks } from "./copyJoin.ts"
import type { Piece, SampleRun } from "./layout.ts"
import type { Movie } from "./tables.ts"

export interface SeamHead {
  /** The later segment's first keyframe after frame 0 (its tail starts there; `frames` when it has none). */
  readonly keyframe: number
  /** The re-encoded frames `[1, keyframe)`; absent when `keyframe` is 1. */
  readonly head: Movie | undefined
}

/**
 * Whether `runs`, back to back and `frameTicks` apart in decode order, show frames `0…n-1` once each under an edit
 * starting at `editMediaTime`, the first sample first: a clean start (not an I-frame shown after B-frames decoded
 * behind it) and no frame missing, repeated, or shown off the frame grid.
 */
export const showsInOrder = (runs: ReadonlyArray<SampleRun>, editMediaTime: number, frameTicks: number): boolean => {
  const count = runs.reduce((sum, run) => sum + run.count, 0)
  const seen = new Uint8Array(count)
  let at = 0
  for (const { track, first, count: length } of runs) {
    for (let i = first; i < first + length; i++, at++) {
      const position = (at * frameTicks + (track.compositionOffsets?.[i] ?? 0) - editMediaTime) / frameTicks
      if (!Number.isInteger(position) || position < 0 || position >= count || seen[position]) return false
      if (at === 0 && position !== 0) return false
      seen[position] = 1
    }
  }
  return true
}

/** A visual sample entry's type and coded size: what a head must share with its segment to play in its place. */
const entryShape = (stsd: Buffer) => `${stsd.toString("latin1", 20, 24)}/${stsd.readUInt32BE(16 + 8 + 24)}`

/** What one later segment adds: its re-encoded head and the run copied from it (its tail). */
interface LaterRuns {
  readonly head: SampleRun | undefined
  readonly own: SampleRun | undefined
}

/** Why the smart cut cannot be written in-process, or the plan. `seams[k]` belongs to `movies[k + 1]`. */
export const planFor = (movies: ReadonlyArray<Movie>, seams: ReadonlyArray<SeamHead>): Plan | Blocker => {
  const tracks = sharedTracks(movies)
  if (typeof tracks === "string") return tracks
  const { videos, audios, configs } = tracks
  if (seams.length !== movies.length - 1) return "a seam is missing"
  if (configs.some((config) => config === undefined)) return "video is not H.264 with an avcC configuration"
  const first = videos[0]!
  const frameTicks = first.durations[0]!
  const edit = first.editMediaTime
  const inOrder = (...runs: ReadonlyArray<SampleRun>) => showsInOrder(runs, edit, frameTicks)
  // Parameter sets go in-band where a run's differ from the ones in force, and only there.
  const switchTo = parameterSetSwitcher(configs[0]!)

  const whole: SampleRun = { track: first, first: 0, count: first.sizes.length }
  if (!inOrder(whole)) return "segment 1 is not at a constant frame rate"
  const later: Array<LaterRuns> = []
  for (const [k, seam] of seams.entries()) {
    const video = videos[k + 1]!
    const frames = video.sizes.length
    const name = `segment ${k + 2}`
    if (seam.keyframe < 1 || seam.keyframe > frames) return `${name}: no keyframe ${seam.keyframe}`
    let head: SampleRun | undefined
    if (seam.keyframe > 1) {
      const track = seam.head?.tracks.find((t) => t.handler === "vide")
      const config = track && avcConfig(track.headers.stsd)
      if (!track || !config) return `${name}: its re-encoded head is not H.264 in an MP4`
      if (
        config.lengthSize !== configs[0]!.lengthSize ||
        entryShape(track.headers.stsd) !== entryShape(first.headers.stsd)
      )
        return `${name}: its re-encoded head has another sample layout`
      head = { track, first: 0, count: track.sizes.length, prefix: switchTo(config) }
      if (
        track.timescale !== video.timescale ||
        head.count !== seam.keyframe - 1 ||
        !isSync(track, 0) ||
        !inOrder(head)
      )
        return `${name}: its re-encoded head does not show frames 1–${seam.keyframe - 1} in order`
    }
    let own: SampleRun | undefined
    if (seam.keyframe < frames) {
      own = { track: video, first: seam.keyframe, count: frames - seam.keyframe, prefix: switchTo(configs[k + 1]!) }
      if (!isSync(video, seam.keyframe) || !inOrder(own))
        return `${name}: frame ${seam.keyframe} is not a clean entry point`
    }
    later.push({ head, own })
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
    const { head, own } = i === 0 ? { head: undefined, own: whole } : later[i - 1]!
    const segment: Piece = { movie, runs: audio ? [own, audio.runs[i]] : [own] }
    return head ? [{ movie: seams[i - 1]!.head!, runs: [head] }, segment] : [segment]
  })
  const frames = later.reduce((sum, { head, own }) => sum + (head?.count ?? 0) + (own?.count ?? 0), whole.count)
  return {
    pieces,
    outputs: [{ editMediaTime: edit, sampleDuration: frameTicks }, ...(audio ? [audio.output] : [])],
    seconds: (frames * frameTicks) / first.timescale,
    frames
  }
}

/** A later segment's seam as `SmartCut` prepared it: where its tail starts, and the file its head was encoded to. */
export interface HeadFile {
  readonly seam: { readonly keyframe: number }
  /** The re-encoded frames `[1, seam.keyframe)`; absent when frame 1 is already a keyframe. */
  readonly head: string | undefined
}
