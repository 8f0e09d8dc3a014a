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
  /** `copy`, `smart-cut`, `reencode` or `crossfade`. */
  readonly method: string
}

export class Combiner extends Context.Service<
  Combiner,
  {
    readonly preflight: Effect.Effect<void, MissingDependency>
    /** Writes `destination` atomically: a failed or interrupted join leaves no file there. */
    readonly join: (input: JoinInput) => Effect.Effect<JoinResult, CombineError>
  }
>()("@longsora/core/Combiner") {}
