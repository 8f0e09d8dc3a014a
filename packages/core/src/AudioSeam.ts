/**
 * The sound at the seams. Each clip of a real model brings its own generated audio, so an exact video
 * cut still jumps in the audio. `blend` (the default) crossfades the audio over a short window at
 * every seam, re-encoding only the audio while the video stays copied frame-exactly; `hard` leaves the
 * audio as the join made it.
 */
import { Context, Effect, Option, Schema, type Scope } from "effect"
import { type CombineError, InvalidRequest } from "./Errors.ts"
import type { Transition } from "./Transition.ts"

export const AudioSeamMode = Schema.Literals(["blend", "hard"])
export type AudioSeamMode = typeof AudioSeamMode.Type

/** Tens of milliseconds: long enough to hide a step, short enough that nothing is heard as a fade. */
export const defaultBlendSeconds = 0.03
/** The longest blend: past this the audio of one segment would be heard over the other's picture. */
export const maxBlendSeconds = 0.2

export interface BlendInput {
  /** The joined video; rewritten in place (atomically) with the blended audio. */
  readonly output: string
  /** The segment files the join used, in order. */
  readonly segments: ReadonlyArray<string>
  readonly transition: Transition
  readonly seconds: number
}

export interface BlendResult {
  /** Seams blended (0 when there was nothing to do: one segment, no audio, or a crossfade). */
  readonly seams: number
  readonly seconds: number
}

export class AudioBlender extends Context.Service<
  AudioBlender,
  {
    readonly blend: (input: BlendInput) => Effect.Effect<BlendResult, CombineError>
    /**
     * Does the blend's share of the segments known so far (`segments`: the first of those `blend` will be given
     * for the same `output`) while later ones render, so that `blend` finds it done. The work is kept as long as
     * the scope. It never fails: whatever is not ready, `blend` does itself.
     */
    readonly prepare: (input: BlendInput) => Effect.Effect<void, never, Scope.Scope>
  }
>()("@longsora/core/AudioBlender") {}

/** The blend's length, checked: from 1 ms to `maxBlendSeconds`. */
export const blendSeconds = (seconds: number | undefined): Effect.Effect<number, InvalidRequest> => {
  const value = seconds ?? defaultBlendSeconds
  return value >= 0.001 && value <= maxBlendSeconds
    ? Effect.succeed(value)
    : Effect.fail(
        new InvalidRequest({
          field: "audioSeamSeconds",
          given: String(value),
          allowed: `a blend from 0.001 to ${maxBlendSeconds} s`,
          fix: `e.g. \`audioSeamSeconds\` ${defaultBlendSeconds}, or \`audioSeam\` hard for no blend`
        })
      )
}

/**
 * Blends the audio at the seams of a joined output, as `mode` asks. Without an `AudioBlender` in the
 * context the default leaves the audio as it is; asking for `blend` explicitly then fails.
 */
export const apply = Effect.fnUntraced(function* (
  mode: AudioSeamMode | undefined,
  seconds: number | undefined,
  input: Omit<BlendInput, "seconds">
) {
  if (mode === "hard") return undefined
  const length = yield* blendSeconds(seconds)
  const blender = yield* Effect.serviceOption(AudioBlender)
  if (Option.isNone(blender)) {
    if (mode === undefined) return undefined
    return yield* new InvalidRequest({
      field: "audioSeam",
      given: "blend",
      allowed: "only with an AudioBlender service (provided by @longsora/ffmpeg-combiner's FfmpegServices)",
      fix: "Provide FfmpegServices, or use `audioSeam` hard."
    })
  }
  const result: BlendResult = yield* blender.value.blend({ ...input, seconds: length })
  return result
})

/**
 * Starts the blend of the segments known so far, as `mode` asks, while later ones render (see
 * `AudioBlender.prepare`). Nothing to do without a blender or with `hard`; never fails (`apply` reports).
 */
export const prepare = (
  mode: AudioSeamMode | undefined,
  seconds: number | undefined,
  input: Omit<BlendInput, "seconds">
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    if (mode === "hard") return
    const blender = yield* Effect.serviceOption(AudioBlender)
    if (Option.isNone(blender)) return
    const length = yield* blendSeconds(seconds)
    yield* blender.value.prepare({ ...input, seconds: length })
  }).pipe(Effect.ignore)
