/**
 * The run's plan: the user's, an earlier run's (with the user's edits of `plan.json`), or the
 * planner's, checked against the solved split. With `chain: keyframes` it also describes the
 * keyframes (a plan without them gets them from its segment prompts).
 */
import { Effect, FileSystem, Path } from "effect"
import { OutputError, PlannerError } from "./Errors.ts"
import * as Manifest from "./Manifest.ts"
import { Plan, PlannedSegment } from "./Plan.ts"
import * as PlanFile from "./PlanFile.ts"
import { Planner } from "./Planner.ts"
import * as Progress from "./Progress.ts"
import type { ValidatedRequest } from "./Validation.ts"

/** Checks that a plan fits the solved split; planners are external code, so trust nothing. */
export const checkPlan = (plan: Plan, durations: ReadonlyArray<number>): Effect.Effect<Plan, PlannerError> => {
  if (plan.segments.length !== durations.length) {
    return Effect.fail(
      new PlannerError({ reason: `the plan has ${plan.segments.length} segments, expected ${durations.length}` })
    )
  }
  const mismatch = plan.segments.findIndex((segment, i) => segment.seconds !== durations[i])
  if (mismatch >= 0) {
    return Effect.fail(
      new PlannerError({
        reason: `segment ${mismatch + 1} of the plan lasts ${plan.segments[mismatch]!.seconds} s, expected ${durations[mismatch]} s`
      })
    )
  }
  if (plan.keyframes !== undefined && plan.keyframes.length !== durations.length + 1) {
    return Effect.fail(
      new PlannerError({
        reason: `the plan describes ${plan.keyframes.length} keyframes, expected ${durations.length + 1} (one per seam and both ends)`
      })
    )
  }
  return Effect.succeed(plan)
}

/**
 * The keyframe descriptions: the plan's, or, for a plan without them (a user's, or a planner that
 * does not write them), the brief with each segment's opening and each one's end.
 */
export const keyframesOf = (plan: Plan): ReadonlyArray<string> => {
  if (plan.keyframes) return plan.keyframes
  const brief = plan.brief.trim() === "" ? "" : ` ${plan.brief.trim()}`
  return [
    `Opening still: ${plan.segments[0].prompt}${brief}`,
    ...plan.segments.map((segment) => `The final moment of: ${segment.prompt}${brief}`)
  ]
}

/** A plan for the validated request: the given one, or the planner's with segment 1 the user's prompt. */
export const planFor = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const { request, durations, capabilities } = validated
  if (request.plan) return yield* checkPlan(request.plan, durations)
  const plan = yield* (yield* Planner).plan({
    prompt: request.prompt,
    durations,
    planModel: request.planModel,
    videoModel: capabilities.model,
    maxPromptLength: capabilities.maxPromptLength,
    hasReference: validated.reference !== undefined,
    ...(validated.reference?.video ? { continuesVideo: true } : {}),
    keyframes: validated.chain === "keyframes"
  })
  const checked = yield* checkPlan(plan, durations)
  // Segment 1 is the user's own prompt, as in the original client; the plan records that.
  const [first, ...rest] = checked.segments
  return new Plan({
    brief: checked.brief,
    segments: [new PlannedSegment({ prompt: request.prompt, seconds: first.seconds }), ...rest],
    ...(checked.keyframes ? { keyframes: checked.keyframes } : {})
  })
})

/**
 * The plan with the user's edits of the run's `plan.json` taken in: prompts may change for segments
 * not yet made (a refused prompt, a better idea); lengths, count and finished segments may not.
 */
const withEdits = Effect.fnUntraced(function* (plan: Plan, planFile: string, store: Manifest.Store) {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* fs.exists(planFile).pipe(Effect.orElseSucceed(() => false)))) return plan
  const edited = yield* PlanFile.read(planFile)
  const refuse = (reason: string) => new PlanFile.PlanFileError({ path: planFile, reason })
  const lengths = (p: Plan) => p.segments.map((segment) => segment.seconds).join(",")
  if (lengths(edited) !== lengths(plan)) {
    return yield* refuse(
      `its segments last ${lengths(edited)} s but this run's split is ${lengths(plan)} s; only prompts can be edited`
    )
  }
  const manifest = yield* store.get
  const changed = edited.segments.flatMap((segment, i) => (segment.prompt === plan.segments[i]!.prompt ? [] : [i + 1]))
  const made = changed.filter((segment) => Manifest.segmentRecord(manifest, segment)?.state === "completed")
  if (made.length > 0) {
    return yield* refuse(
      `segment ${made.join(", ")} is already made, so its prompt can no longer change; restore it, or start over with \`restart\``
    )
  }
  if (changed.includes(1)) {
    return yield* refuse("segment 1 is the request's own prompt; change the prompt itself (and --restart) instead")
  }
  return edited
})

/**
 * The run's plan: the one recorded by an earlier run of the same request (with the user's edits of
 * its plan file), else a new one. Recorded in the manifest, and a planner's plan also in `plan.json`.
 */
export const make = Effect.fnUntraced(function* (validated: ValidatedRequest, store: Manifest.Store) {
  const path = yield* Path.Path
  const planFile = path.join(validated.outputDir, PlanFile.fileName)
  const recorded = (yield* store.get).plan
  const written = !validated.request.plan
  const base = recorded ? yield* checkPlan(recorded, validated.durations) : yield* planFor(validated)
  const plan = recorded && written ? yield* withEdits(base, planFile, store) : base
  if (plan !== recorded) yield* store.update((manifest) => new Manifest.Manifest({ ...manifest, plan }))
  if (written) {
    yield* PlanFile.write(planFile, plan).pipe(
      Effect.mapError((cause) => new OutputError({ path: planFile, reason: "could not write the plan", cause }))
    )
  }
  yield* Progress.emit({ _tag: "Planned", plan })
  return plan
})
