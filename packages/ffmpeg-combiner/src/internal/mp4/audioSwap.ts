/**
 * A movie with its sound replaced by another file's single audio track (the blended soundtrack): the video
 * samples are copied as they lie, in their stretches of consecutive bytes, and after each stretch the new audio
 * that plays during it, interleaved in time as a muxer would. The old audio's bytes are left out.
 */
import type { Blocker, Plan } from "./copyJoin.ts"
import type { Piece } from "./layout.ts"
import { type Movie, shownTicks, type Track } from "./tables.ts"

/** Start times of each sample in seconds (decode order), and the end of the last one. */
const startTimes = (track: Track): Float64Array => {
  const times = new Float64Array(track.durations.length + 1)
  let ticks = -track.editMediaTime
  for (let i = 0; i < track.durations.length; i++) {
    times[i] = ticks / track.timescale
    ticks += track.durations[i]!
  }
  times[track.durations.length] = ticks / track.timescale
  return times
}

export const planFor = (movie: Movie, sound: Movie): Plan | Blocker => {
  const videos = movie.tracks.filter((t) => t.handler === "vide")
  if (videos.length !== 1) return "the output does not have exactly one video track"
  if (sound.tracks.length !== 1 || sound.tracks[0]!.handler !== "soun") return "the soundtrack is not one audio track"
  const video = videos[0]!
  const audio = sound.tracks[0]!
  const videoTimes = startTimes(video)
  const audioTimes = startTimes(audio)
  const pieces: Array<Piece> = []
  let audioFrom = 0
  let stretchFrom = 0
  const samples = video.sizes.length
  for (let i = 1; i <= samples; i++) {
    const contiguous = i < samples && video.offsets[i] === video.offsets[i - 1]! + video.sizes[i - 1]!
    if (contiguous) continue
    pieces.push({ movie, runs: [{ track: video, first: stretchFrom, count: i - stretchFrom }, undefined] })
    // The audio that starts before this stretch of video ends (the rest of it after the last stretch).
    let audioTo = audioFrom
    while (audioTo < audio.sizes.length && (i === samples || audioTimes[audioTo]! < videoTimes[i]!)) audioTo++
    if (audioTo > audioFrom) {
      pieces.push({ movie: sound, runs: [undefined, { track: audio, first: audioFrom, count: audioTo - audioFrom }] })
    }
    audioFrom = audioTo
    stretchFrom = i
  }
  return {
    pieces,
    outputs: [{ editMediaTime: video.editMediaTime }, { editMediaTime: audio.editMediaTime }],
    seconds: shownTicks(video.durations, video.compositionOffsets, video.editMediaTime) / video.timescale,
    frames: samples
  }
}
