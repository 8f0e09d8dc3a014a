/**
 * A small MP4 made of a clip's last keyframe interval of video and nothing else, whose edit list shows only the
 * last frame: a decoder fed with it (through a pipe, no seeking) decodes exactly the frames the last one depends on
 * and outputs just that one.
 */
import { type Layout, layoutMovies } from "./layout.ts"
import { eachSample, type Movie } from "./tables.ts"

/** `undefined` when the header does not allow it (several video tracks, a last frame before the last keyframe). */
export const lastFrameClip = (movie: Movie): Layout | undefined => {
  const videos = movie.tracks.filter((track) => track.handler === "vide")
  if (videos.length !== 1) return undefined
  const track = videos[0]!
  const count = track.sizes.length
  if (count === 0) return undefined
  const lastSync = track.sync ? track.sync[track.sync.length - 1] : count - 1
  if (lastSync === undefined) return undefined
  // The frame shown last: the latest composition time (with B-frames, not the last decoded).
  let lastShown = 0
  let latest = Number.NEGATIVE_INFINITY
  let syncDecodeTime = 0
  eachSample(track.durations, track.compositionOffsets, (i, decodeTime, composition) => {
    if (i === lastSync) syncDecodeTime = decodeTime
    if (composition >= latest) {
      latest = composition
      lastShown = i
    }
  })
  if (lastShown < lastSync) return undefined
  return layoutMovies(
    [{ movie, runs: [{ track, first: lastSync, count: count - lastSync }] }],
    [{ editMediaTime: latest - syncDecodeTime }]
  )
}
