/**
 * The image model behind `chain: keyframes`: renders the still pictures every segment starts and
 * ends on. Keyframe 0 comes from the prompt (or is an edit of the user's reference); each next one is
 * an edit of the previous, so the look holds from the first seam to the last. Optional: without
 * this service the `keyframes` strategy is not offered.
 */
import { Context, type Effect, Schema } from "effect"
import type { KeyframeError } from "./Errors.ts"

/** What the image model is and costs: the cost estimate adds `usdPerImage` per keyframe. */
export const ImageCapabilities = Schema.Struct({
  model: Schema.NonEmptyString,
  usdPerImage: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Where the price comes from. */
  sources: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type ImageCapabilities = typeof ImageCapabilities.Type

export interface KeyframeSpec {
  /** 0-based keyframe number. */
  readonly index: number
  readonly prompt: string
  /** `WIDTHxHEIGHT` of the video; the image model may answer another size (core fits it). */
  readonly size: string
  /** The image to edit (previous keyframe, or the user's reference for keyframe 0); absent: from text. */
  readonly source?: string | undefined
  /** Where to write the image. */
  readonly destination: string
}

export class KeyframeGenerator extends Context.Service<
  KeyframeGenerator,
  {
    readonly capabilities: ImageCapabilities
    /** Renders one keyframe (one billed image) and writes it to `destination`. */
    readonly generate: (spec: KeyframeSpec) => Effect.Effect<string, KeyframeError>
  }
>()("@longsora/core/KeyframeGenerator") {}
