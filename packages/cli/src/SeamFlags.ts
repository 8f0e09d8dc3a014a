/** The flags that shape the seams: anchor frame, drift threshold and the audio blend (for `generate` and `regenerate`). */
import { AudioSeam, Errors } from "@longsora/core"
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"

export const anchorFlag = {
  anchor: Flag.Literals("anchor", ["last", "best"]).pipe(
    Flag.withDescription(
      "Chained: the frame the next segment starts from: last, or the best of the final second (the segment is trimmed after it)"
    ),
    Flag.withDefault("last")
  )
} as const

export const flags = {
  maxDrift: Flag.Finite("max-drift").pipe(
    Flag.withDescription(
      "Chained: stop before paying for more segments once one's look drifts this far from segment 1 (0-1, e.g. 0.25)"
    ),
    Flag.optional
  ),
  audioSeam: Flag.Literals("audio-seam", ["blend", "hard"]).pipe(
    Flag.withDescription("blend: crossfade the audio at every seam (video stays copied); hard: leave it cut"),
    Flag.withDefault("blend")
  ),
  audioBlendMs: Flag.Finite("audio-blend-ms").pipe(
    Flag.withDescription(`The audio blend's length in ms (default ${AudioSeam.defaultBlendSeconds * 1000})`),
    Flag.optional
  )
} as const

export interface SeamInput {
  readonly maxDrift: Option.Option<number>
  readonly audioSeam: AudioSeam.AudioSeamMode
  readonly audioBlendMs: Option.Option<number>
}

/** The request fields the flags set (left out where the flag was not given, so defaults stay core's). */
export const requestFields = (input: SeamInput) => ({
  ...(Option.isSome(input.maxDrift) ? { maxDrift: input.maxDrift.value } : {}),
  ...(input.audioSeam === "hard" ? { audioSeam: "hard" as const } : {}),
  ...(Option.isSome(input.audioBlendMs) ? { audioSeamSeconds: input.audioBlendMs.value / 1000 } : {})
})

/** `--audio-blend-ms` with `--audio-seam hard` says two opposite things. */
export const check = (input: SeamInput): Effect.Effect<void, Errors.InvalidRequest> =>
  input.audioSeam === "hard" && Option.isSome(input.audioBlendMs)
    ? Effect.fail(
        new Errors.InvalidRequest({
          field: "audioSeamSeconds",
          given: `${input.audioBlendMs.value} ms with --audio-seam hard`,
          allowed: "a blend length only with --audio-seam blend",
          fix: "Drop one of the two."
        })
      )
    : Effect.void
