/** Joins segment clips, in order, into one video. */
import { Context, type Effect } from "effect"
import type { CombineError, MissingDependency } from "./Errors.ts"
import type { Transition } from "./Transition.ts"

export interface JoinInput {
  readonly segments: ReadonlyArray<string>
  readonly destination: string
  readonly transition: Transition
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
    /** Writes `destination` atomically: a failed or interrupted join leaves no file there. */
    readonly join: (input: JoinInput) => Effect.Effect<JoinResult, CombineError>
  }
>()("@longsora/core/Combiner") {}
