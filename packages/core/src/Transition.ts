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
