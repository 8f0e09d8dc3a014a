/**
 * How far a segment's look has moved from segment 1's: colour, brightness and contrast from the
 * frames' statistics, and a structural similarity of downscaled frames. Chained clips copy the
 * previous clip's quirks, so the look can wander over a long chain; `maxDrift` stops a run before it
 * pays for more segments of a chain that has drifted too far.
 */
import { Context, Effect, Option, Schema } from "effect"
import { type FieldNames, type FrameError, fieldNames, InvalidRequest, nameFields } from "./Errors.ts"

/** The width and height of the grey thumbnail a look keeps for the structural measure. */
export const thumbnailWidth = 32
export const thumbnailHeight = 18

/** A clip's look: mean colour (0–255), mean luma, luma standard deviation, and a mean grey thumbnail. */
export interface Look {
  readonly red: number
  readonly green: number
  readonly blue: number
  readonly luma: number
  readonly contrast: number
  /** `thumbnailWidth × thumbnailHeight` luma values, row by row. */
  readonly thumbnail: ReadonlyArray<number>
}

/** Each figure 0 (same) to 1 (as far as it goes). */
export const DriftFigures = Schema.Struct({
  /** Distance between the mean colours, / 255. */
  colour: Schema.Finite,
  /** Difference of mean luma, / 255. */
  brightness: Schema.Finite,
  /** Relative difference of the luma standard deviations. */
  contrast: Schema.Finite,
  /** 1 − SSIM of the grey thumbnails (motion changes this too, so it is reported, not part of `drift`). */
  structure: Schema.Finite,
  /** The look's drift: the largest of colour, brightness and contrast. */
  drift: Schema.Finite
})
export type DriftFigures = typeof DriftFigures.Type

const clamp01 = (value: number) => Math.min(1, Math.max(0, value))

/** Global SSIM of two equally sized grey images (8-bit range). */
export const ssim = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  const n = Math.min(a.length, b.length)
  if (n === 0) return 1
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]!
    mb += b[i]!
  }
  ma /= n
  mb /= n
  let va = 0
  let vb = 0
  let cov = 0
  for (let i = 0; i < n; i++) {
    va += (a[i]! - ma) ** 2
    vb += (b[i]! - mb) ** 2
    cov += (a[i]! - ma) * (b[i]! - mb)
  }
  va /= n
  vb /= n
  cov /= n
  const c1 = (0.01 * 255) ** 2
  const c2 = (0.03 * 255) ** 2
  return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
}

/** How far `look` is from `base` (segment 1's). */
export const compare = (base: Look, look: Look): DriftFigures => {
  const colour = clamp01(Math.hypot(look.red - base.red, look.green - base.green, look.blue - base.blue) / 255)
  const brightness = clamp01(Math.abs(look.luma - base.luma) / 255)
  const contrast = clamp01(Math.abs(look.contrast - base.contrast) / Math.max(base.contrast, look.contrast, 1))
  const structure = clamp01(1 - ssim(base.thumbnail, look.thumbnail))
  return { colour, brightness, contrast, structure, drift: Math.max(colour, brightness, contrast) }
}

/** Measures a clip's look (a few frames spread over it, downscaled). */
export class DriftMeter extends Context.Service<
  DriftMeter,
  { readonly look: (video: string) => Effect.Effect<Look, FrameError> }
>()("@longsora/core/DriftMeter") {}

/** A chained run stopped before paying for more segments: this one's look drifted past `maxDrift`. */
export class DriftExceeded extends Schema.TaggedError<DriftExceeded>()("DriftExceeded", {
  segment: Schema.Int,
  drift: Schema.Finite,
  maxDrift: Schema.Finite,
  outputDir: Schema.String,
  figures: DriftFigures
}) {
  format(names: FieldNames): string {
    const f = this.figures
    return nameFields(
      `Segment ${this.segment} drifted ${this.drift.toFixed(3)} from segment 1 (colour ${f.colour.toFixed(3)}, ` +
        `brightness ${f.brightness.toFixed(3)}, contrast ${f.contrast.toFixed(3)}), above \`maxDrift\` ` +
        `${this.maxDrift}; the run stopped before creating segment ${this.segment + 1}, and nothing made so far ` +
        `is lost. Redo it (\`longsora regenerate ${this.outputDir} --segment ${this.segment}\`, optionally with a ` +
        "new prompt), or run the same command again with a higher `maxDrift` to go on.",
      names
    )
  }

  override get message(): string {
    return this.format(fieldNames)
  }
}

/**
 * The check a chained run makes after each segment when `maxDrift` is set: segment 1's look is the
 * base; a later segment past the threshold fails with `DriftExceeded` before the next one is created.
 * Without `maxDrift` it measures nothing.
 */
export const gate = Effect.fnUntraced(function* (maxDrift: number | undefined, outputDir: string) {
  if (maxDrift === undefined) return { check: (_segment: number, _video: string) => Effect.succeed(undefined) }
  if (!(maxDrift >= 0)) {
    return yield* new InvalidRequest({
      field: "maxDrift",
      given: String(maxDrift),
      allowed: "a drift from 0 (none) to 1",
      fix: "e.g. `maxDrift` 0.25"
    })
  }
  const meter = yield* Effect.serviceOption(DriftMeter)
  if (Option.isNone(meter)) {
    return yield* new InvalidRequest({
      field: "maxDrift",
      given: String(maxDrift),
      allowed: "only with a DriftMeter service (provided by @longsora/ffmpeg-combiner's FfmpegServices)",
      fix: "Provide FfmpegServices, or leave out `maxDrift`."
    })
  }
  let base: Look | undefined
  const check = Effect.fnUntraced(function* (segment: number, video: string) {
    const look = yield* meter.value.look(video)
    if (segment === 1 || base === undefined) {
      base = look
      return undefined
    }
    const figures = compare(base, look)
    if (figures.drift > maxDrift) {
      return yield* new DriftExceeded({ segment, drift: figures.drift, maxDrift, outputDir, figures })
    }
    return figures
  })
  return { check }
})
