/**
 * How two consecutive segments meet. Segment k+1 starts on segment k's last frame, so a plain join
 * shows that frame twice: `Cut` drops the duplicate (the default), `KeepDuplicate` copies streams as
 * they are, `Crossfade` blends for providers whose first frame only resembles the reference.
 */
import { Schema } from "effect"

export const Cut = Schema.TaggedStruct("Cut", {})
export const KeepDuplicate = Schema.TaggedStruct("KeepDuplicate", {})
export const Crossfade = Schema.TaggedStruct("Crossfade", {
  seconds: Schema.Finite.check(Schema.isGreaterThan(0))
})

export const Transition = Schema.Union([Cut, KeepDuplicate, Crossfade])
export type Transition = typeof Transition.Type

export const cut: Transition = { _tag: "Cut" }
export const keepDuplicate: Transition = { _tag: "KeepDuplicate" }
export const crossfade = (seconds: number): Transition => ({ _tag: "Crossfade", seconds })

/** How a transition is written on a command line or in SDK options: `cut`, `keep`, `crossfade` or `crossfade:0.5`. */
export type TransitionText = "cut" | "keep" | "crossfade" | `crossfade:${number}`

export const defaultCrossfadeSeconds = 0.5

/** Reads `cut`, `keep`, `crossfade` or `crossfade:SECONDS`; `undefined` when it is none of those. */
export const parse = (text: string): Transition | undefined => {
  const [kind, seconds, ...rest] = text.trim().toLowerCase().split(":")
  if (rest.length > 0) return undefined
  if (kind === "cut" && seconds === undefined) return cut
  if (kind === "keep" && seconds === undefined) return keepDuplicate
  if (kind !== "crossfade") return undefined
  if (seconds === undefined) return crossfade(defaultCrossfadeSeconds)
  const value = Number(seconds)
  return seconds !== "" && Number.isFinite(value) && value > 0 ? crossfade(value) : undefined
}

export const format = (transition: Transition): string =>
  transition._tag === "Cut" ? "cut" : transition._tag === "KeepDuplicate" ? "keep" : `crossfade:${transition.seconds}`
