/**
 * The audio track of a stream-copied join: AAC packets copied by exact ranges when every segment allows it (see
 * `JoinPlan.selectAudioPackets`), otherwise one re-encoded track with each segment trimmed or padded to its video.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs"
import { Effect } from "effect"
import * as JoinPlan from "../JoinPlan.ts"
import type { MediaInfo } from "../Probe.ts"
import { aacOutput, concatGraph, segmentPlans, targetOf } from "./filters.ts"
import { AdtsSplitter, audioPrimingSeconds } from "./mp4/index.ts"
import type { ProcessError, RunResult } from "./process.ts"

export type Ffmpeg = (args: ReadonlyArray<string>) => Effect.Effect<RunResult, ProcessError>

const inputs = (segments: ReadonlyArray<MediaInfo>) => segments.flatMap((s) => ["-i", s.path])

/** Copies exact packet ranges of every segment's AAC into one ADTS file; `undefined` when that cannot keep sync. */
export const copyAudio = Effect.fnUntraced(function* (
  ffmpeg: Ffmpeg,
  segments: ReadonlyArray<MediaInfo>,
  drop: boolean,
  file: string
) {
  if (JoinPlan.audioCopyBlocker(segments)) return undefined
  const sampleRate = segments[0]!.audio!.sampleRate
  // Copied packets include the encoder's priming, which the probe's (edit-list) view hides.
  const priming = yield* Effect.forEach(segments, (s) => Effect.promise(() => audioPrimingSeconds(s.path)))
  if (priming.some((p) => p === undefined)) return undefined
  const ranges = JoinPlan.selectAudioPackets(
    segments.map((segment, i) => {
      const video = segment.video!
      const dropped = drop && i > 0 ? 1 / video.fps : 0
      return {
        packets: segment.audio!.packets,
        startPts: segment.audio!.startPts - Math.round(priming[i]! * sampleRate),
        videoStart: dropped,
        videoLength: video.duration - dropped
      }
    }),
    sampleRate
  )
  if (!ranges) return undefined
  // One ffmpeg pass writes every segment's AAC as ADTS (the mov demuxer skips the unused video samples).
  const pieces = segments.map((_, i) => `${file}.${i}.adts`)
  yield* ffmpeg([
    ...inputs(segments),
    ...segments.flatMap((_, i) => ["-map", `${i}:a:0`, "-c:a", "copy", "-f", "adts", pieces[i]!])
  ])
  // Synchronous reads into one reused buffer: no garbage per chunk, so memory stays flat however long the audio.
  const fd = openSync(file, "w")
  const chunk = Buffer.alloc(64 * 1024)
  // A stream that does not split into the packets the probe counted is re-encoded instead (`undefined`).
  const split = yield* Effect.forEach(segments, (segment, i) =>
    Effect.try(() => {
      const { first, count } = ranges[i]!
      const splitter = new AdtsSplitter((frame, index) => {
        if (index >= first && index < first + count) writeSync(fd, frame)
      })
      const input = openSync(pieces[i]!, "r")
      try {
        for (let read = readSync(input, chunk); read > 0; read = readSync(input, chunk)) {
          splitter.write(chunk.subarray(0, read))
        }
      } finally {
        closeSync(input)
      }
      if (splitter.failure) return `${segment.path}: ${splitter.failure}`
      if (splitter.frames !== segment.audio!.packets || splitter.pending !== 0) {
        return `${segment.path}: ${splitter.frames} ADTS frames, the probe said ${segment.audio!.packets}`
      }
      return undefined
    })
  ).pipe(Effect.ensuring(Effect.sync(() => closeSync(fd))))
  const failure = split.find((reason) => reason !== undefined)
  if (failure) {
    yield* Effect.logDebug(`audio re-encoded: ${failure}`)
    return undefined
  }
  return file
})

/** Decodes every segment's audio, trims it to its video and encodes one AAC track (silence where none). */
export const encodeAudio = Effect.fnUntraced(function* (
  ffmpeg: Ffmpeg,
  segments: ReadonlyArray<MediaInfo>,
  drop: boolean,
  file: string
) {
  const target = targetOf(segments)
  const graph = concatGraph(segmentPlans(segments, target, drop), target, false)
  yield* ffmpeg([...inputs(segments), "-filter_complex", graph, "-map", "[a]", ...aacOutput(target), "-f", "mp4", file])
  return file
})
