/** Joins segment clips, in order, into one video. */
import { Context, type Effect } from "effect"
import type { CombineError, MissingDependency } from "./Errors.ts"
import type { Transition } from "./Transition.ts"

export interface JoinInput {
  readonly segments: ReadonlyArray<string>
  readonly destination: string
  readonly transition: Transition
}

export interface ConformResult {
  /** The clip in the segments' format: the clip itself when it already was, else a re-encoded copy. */
  readonly path: string
  /** Its length, as it plays in the output. */
  readonly seconds: number
  readonly reencoded: boolean
}

export interface JoinResult {
  readonly path: string
  readonly seconds: number
  /** `copy`, `copy-cut`, `smart-cut`, `reencode` or `crossfade`. */
  readonly method: string
}

export class Combiner extends Context.Service<
  Combiner,
  {
    readonly preflight: Effect.Effect<void, MissingDependency>
    /**
     * Starts the work a later `join` will need for `segment` (a segment after the first), while other
     * work goes on. It never fails: whatever is not prepared in time, `join` does itself.
     */
    readonly prepare: (segment: string, transition: Transition) => Effect.Effect<void>
    /**
     * A clip LongSora did not make (the user's, with `includeReference`) in the format of the segment `like`: its
     * size (scaled and centre-cropped as reference images are), frame rate, codec and audio, so that it joins in
     * front of the segments like one of them. Only what differs is redone; a clip that matches is used as it is.
     */
    readonly conform: (clip: string, like: string, destination: string) => Effect.Effect<ConformResult, CombineError>
    /** Writes `destination` atomically: a failed or interrupted join leaves no file there. */
    readonly join: (input: JoinInput) => Effect.Effect<JoinResult, CombineError>
  }
>()("@longsora/core/Combiner") {}
