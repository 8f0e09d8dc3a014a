/**
 * core's `DriftMeter` with ffmpeg, and the drift half of `inspect`: a clip's look (mean colour, luma,
 * contrast, a grey thumbnail) from two frames a second, decoded straight to a 32×18 picture, so the
 * measure costs one fast decode whatever the resolution. The comparison itself is core's `Drift.compare`.
 */
import { Drift, Errors } from "@longsora/core"
import { Effect, Layer } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"

const { thumbnailWidth: W, thumbnailHeight: H } = Drift
const frameBytes = W * H * 3
/** Frames per second sampled. */
export const sampleRate = 2

/** The look of downscaled RGB frames (`W×H×3` bytes each). */
export const lookOf = (frames: ReadonlyArray<Uint8Array>): Drift.Look => {
  const thumbnail = new Array<number>(W * H).fill(0)
  let red = 0
  let green = 0
  let blue = 0
  let contrast = 0
  for (const frame of frames) {
    let sum = 0
    let squares = 0
    for (let p = 0; p < W * H; p++) {
      const r = frame[3 * p]!
      const g = frame[3 * p + 1]!
      const b = frame[3 * p + 2]!
      const y = 0.2126 * r + 0.7152 * g + 0.0722 * b
      red += r
      green += g
      blue += b
      sum += y
      squares += y * y
      thumbnail[p]! += y
    }
    const mean = sum / (W * H)
    contrast += Math.sqrt(Math.max(0, squares / (W * H) - mean * mean))
  }
  const n = Math.max(1, frames.length)
  const pixels = n * W * H
  const luma = thumbnail.reduce((a, b) => a + b, 0) / pixels
  return {
    red: red / pixels,
    green: green / pixels,
    blue: blue / pixels,
    luma,
    contrast: contrast / n,
    thumbnail: thumbnail.map((value) => value / n)
  }
}

/** Decodes `video` at `sampleRate` frames a second, downscaled; frame k is at `k / sampleRate` s. */
export const sampledFrames = Effect.fn("Drift.sampledFrames")(function* (video: string) {
  const binary = yield* FfmpegBinary
  const chunks: Array<Buffer> = []
  yield* run(
    binary.ffmpeg,
    [
      ...["-nostdin", "-v", "error", "-i", video, "-map", "0:v:0", "-an"],
      ...["-vf", `fps=${sampleRate},scale=${W}:${H}:flags=area,format=rgb24`, "-f", "rawvideo", "pipe:1"]
    ],
    { onStdout: (chunk) => void chunks.push(chunk) }
  ).pipe(
    Effect.mapError(
      (cause) => new Errors.FrameError({ path: video, reason: `could not decode frames: ${cause.message}`, cause })
    )
  )
  const bytes = Buffer.concat(chunks)
  return Array.from({ length: Math.floor(bytes.length / frameBytes) }, (_, k) =>
    bytes.subarray(k * frameBytes, (k + 1) * frameBytes)
  )
})

export interface SegmentDrift {
  /** 1-based. */
  readonly segment: number
  readonly look: Drift.Look
  /** Against segment 1 (all 0 for segment 1 itself). */
  readonly figures: Drift.DriftFigures
}

/** Per segment of a joined output (`spans`: each segment's seconds in it), its look and drift from segment 1. */
export const measureOutput = Effect.fn("Drift.measureOutput")(function* (output: string, spans: ReadonlyArray<number>) {
  const frames = yield* sampledFrames(output)
  const ends: Array<number> = []
  for (const span of spans) ends.push((ends.at(-1) ?? 0) + span)
  const segmentOf = (seconds: number) => {
    const index = ends.findIndex((end) => seconds < end)
    return index < 0 ? spans.length - 1 : index
  }
  const bySegment = spans.map(() => [] as Array<Uint8Array>)
  for (const [k, frame] of frames.entries()) bySegment[segmentOf(k / sampleRate)]!.push(frame)
  const looks = bySegment.map(lookOf)
  return looks.map((look, i): SegmentDrift => ({ segment: i + 1, look, figures: Drift.compare(looks[0]!, look) }))
})

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary
  const look = (video: string) =>
    sampledFrames(video).pipe(Effect.map(lookOf), Effect.provideService(FfmpegBinary, binary))
  return Drift.DriftMeter.of({ look })
})

/** Needs `FfmpegBinary` (in `FfmpegServices`). */
export const layerWithoutDependencies: Layer.Layer<Drift.DriftMeter, never, FfmpegBinary> = Layer.effect(
  Drift.DriftMeter,
  make
)
