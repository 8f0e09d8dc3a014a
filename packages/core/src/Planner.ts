/** The planner: turns one prompt into N segment prompts that continue one story. */
import { Context, type Effect } from "effect"
import type { PlannerError } from "./Errors.ts"
import type { Plan } from "./Plan.ts"

export interface PlanInput {
  readonly prompt: string
  /** The solved clip lengths, one per segment, in order. */
  readonly durations: ReadonlyArray<number>
  readonly planModel: string
  /** The video model the prompts are written for, and its prompt limit. */
  readonly videoModel: string
  readonly maxPromptLength: number
  /** Whether segment 1 starts from a user-supplied image (or a video's last frame, with `continuesVideo`). */
  readonly hasReference: boolean
  /** Segment 1 continues the user's own video from its exact last frame: the story picks up where that clip ends. */
  readonly continuesVideo?: boolean | undefined
  /** Also describe `durations.length + 1` keyframes (`Plan.keyframes`), for `chain: keyframes`. */
  readonly keyframes?: boolean | undefined
}

export class Planner extends Context.Service<
  Planner,
  {
    /** A plan with exactly `durations.length` segments whose seconds equal `durations`. */
    readonly plan: (input: PlanInput) => Effect.Effect<Plan, PlannerError>
  }
>()("@longsora/core/Planner") {}
