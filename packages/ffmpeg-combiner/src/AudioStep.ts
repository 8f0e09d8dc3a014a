/**
 * How audible each seam of a joined output is: the sample step (a click), the level step and the
 * spectral change across the seam, each next to the same measure between neighbouring moments inside
 * the segments on either side (the baseline). A seam whose figures stay within the baseline sounds
 * like any other moment of the sound; a hard cut between two clips' audio shows as a click well above it.
 */
import { Effect } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"

export interface AudioSeamStep {
  /** 1-based: the seam after segment `segment`. */
  readonly segment: number
  readonly seconds: number
  /** The largest sample-to-sample step near the seam / the largest step inside the neighbouring segments' baseline. */
  readonly click: number
  /** |level after − level before| over 20 ms on either side, in dB, and the same inside the segments (median). */
  readonly levelStepDb: number
  readonly levelBaselineDb: number
  /** Distance of the two sides' normalised spectra (0 same … 2 disjoint), and the same inside the segments. */
  readonly spectralChange: number
  readonly spectralBaseline: number
  /** True when the click stays within the baseline (at most `clickLimit`). */
  readonly withinBaseline: boolean
}

/**
 * A click ratio up to this is the sound's own movement: an equal-power crossfade of two tones peaks at
 * √2 times the larger tone's own step; a cut between unrelated sounds jumps by many times it.
 */
export const clickLimit = 2

export const sampleRate = 48_000
const clickWindow = Math.round(0.025 * sampleRate)
const levelWindow = Math.round(0.02 * sampleRate)
/** Baseline moments keep this far from any seam. */
const seamGuard = 0.1

const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const peakStep = (samples: Float32Array, from: number, to: number): number => {
  let peak = 0
  for (let n = Math.max(1, from); n < Math.min(samples.length, to); n++) {
    peak = Math.max(peak, Math.abs(samples[n]! - samples[n - 1]!))
  }
  return peak
}

const levelDb = (samples: Float32Array, from: number): number => {
  let sum = 0
  for (let n = from; n < from + levelWindow; n++) sum += (samples[n] ?? 0) ** 2
  return 10 * Math.log10(sum / levelWindow + 1e-12)
}

/** Magnitudes at 32 log-spaced frequencies (50 Hz – 12 kHz) of a Hann-windowed stretch, summing to 1. */
const frequencies = Array.from({ length: 32 }, (_, k) => 50 * (12_000 / 50) ** (k / 31))
const spectrum = (samples: Float32Array, from: number): ReadonlyArray<number> => {
  const magnitudes = frequencies.map((frequency) => {
    const step = (2 * Math.PI * frequency) / sampleRate
    let re = 0
    let im = 0
    for (let n = 0; n < levelWindow; n++) {
      const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (levelWindow - 1))
      const x = (samples[from + n] ?? 0) * hann
      re += x * Math.cos(step * n)
      im -= x * Math.sin(step * n)
    }
    return Math.hypot(re, im)
  })
  const total = magnitudes.reduce((a, b) => a + b, 0) || 1
  return magnitudes.map((m) => m / total)
}

const spectralDistance = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) =>
  a.reduce((sum, value, i) => sum + Math.abs(value - b[i]!), 0)

/** The figures at each of `seams` (output seconds) of decoded mono `samples`. */
export const measureSamples = (samples: Float32Array, seams: ReadonlyArray<number>): ReadonlyArray<AudioSeamStep> => {
  const bounds = [0, ...seams, samples.length / sampleRate]
  return seams.map((seconds, i) => {
    const at = Math.round(seconds * sampleRate)
    // The baseline: moments inside the two segments that meet here, away from every seam.
    const inside: Array<number> = []
    for (let t = bounds[i]! + seamGuard; t < bounds[i + 2]! - seamGuard; t += 0.05) {
      if (Math.abs(t - seconds) >= seamGuard) inside.push(Math.round(t * sampleRate))
    }
    const stepAt = (n: number) => peakStep(samples, n - clickWindow, n + clickWindow)
    const levelStepAt = (n: number) => Math.abs(levelDb(samples, n) - levelDb(samples, n - levelWindow))
    const spectralAt = (n: number) => spectralDistance(spectrum(samples, n - levelWindow), spectrum(samples, n))
    const baselineStep = Math.max(...inside.map(stepAt), 1e-9)
    const click = stepAt(at) / baselineStep
    return {
      segment: i + 1,
      seconds,
      click,
      levelStepDb: levelStepAt(at),
      levelBaselineDb: median(inside.map(levelStepAt)),
      spectralChange: spectralAt(at),
      spectralBaseline: median(inside.map(spectralAt)),
      withinBaseline: click <= clickLimit
    }
  })
}

/** `output`'s first audio track as mono 48 kHz samples. */
export const decodeMono = Effect.fn("AudioStep.decodeMono")(function* (output: string) {
  const binary = yield* FfmpegBinary
  const chunks: Array<Buffer> = []
  yield* run(
    binary.ffmpeg,
    [
      ...["-nostdin", "-v", "error", "-i", output, "-map", "0:a:0", "-ac", "1", "-ar", String(sampleRate)],
      ...["-f", "f32le", "pipe:1"]
    ],
    { onStdout: (chunk) => void chunks.push(chunk) }
  )
  const bytes = Buffer.concat(chunks)
  return new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4)).slice()
})

/** Decodes `output`'s audio and measures each of `seams` (output seconds). */
export const measure = Effect.fn("AudioStep.measure")(function* (output: string, seams: ReadonlyArray<number>) {
  return measureSamples(yield* decodeMono(output), seams)
})
