/**
 * `chain: extend`: the provider continues its own clip. Segment 1 is an ordinary create (from the
 * user's reference or from text, while the planner writes the rest); segment k+1 is an extension
 * of segment k's job with segment k+1's prompt, so the model sees the motion that led to the seam,
 * not one still. Each extension job is recorded in the manifest before it is waited on, like a
 * create, so a rerun polls it instead of paying again. The provider answers with the stitched video
 * (`extension.returns: "stitched"`, the default), which is the output; a provider that returns only
 * the new part has its parts joined like any chain. The wall time is still the sum of the renders.
 */
import { Effect } from "effect"
import type { Chained, Context } from "./Chain.ts"
import type * as SegmentRunner from "./SegmentRunner.ts"

export const run = Effect.fnUntraced(function* (context: Context) {
  const { validated, segments } = context
  const { durations } = validated
  const [opening, plan] = yield* Effect.all(
    [
      segments.run(1, {
        prompt: context.firstPrompt,
        promptBy: "user",
        reference: context.firstReference,
        lastFrame: false
      }),
      context.plan
    ],
    { concurrency: 2 }
  )
  const outcomes: Array<SegmentRunner.Outcome> = [opening]
  let soFar = durations[0]!
  for (let segment = 2; segment <= durations.length; segment++) {
    const previous = outcomes[segment - 2]!
    const outcome = yield* segments.run(segment, {
      prompt: plan.segments[segment - 1]!.prompt,
      promptBy: context.promptBy(segment),
      // The seam: the provider continues the previous segment's job.
      extend: { jobId: previous.clip.jobId, sourceSeconds: soFar },
      lastFrame: false
    })
    soFar += durations[segment - 1]!
    outcomes.push(outcome)
  }
  // An extension's clip is the stitched video so far; what is billed is the part it added.
  const billed = outcomes.map((outcome, i) => ({ ...outcome, clip: { ...outcome.clip, seconds: durations[i]! } }))
  const stitched = (validated.capabilities.extension?.returns ?? "stitched") === "stitched"
  return { plan, outcomes: billed, stitched: stitched ? billed.at(-1)!.clip.path : undefined } satisfies Chained
})
