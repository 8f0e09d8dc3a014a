/**
 * `chain: last-frame`, the original client's method and the default: segment k+1 starts from
 * segment k's last frame. Segment 1 starts from the user's reference (or from text) and renders
 * while the planner writes the other prompts; then, one segment after another, the previous clip's
 * last frame (extracted, fitted to the size, recorded in the manifest) becomes the next first frame.
 * Motion restarts at every seam (the model sees one still), and the wall time is the sum of renders.
 */
import { Effect } from "effect"
import * as Anchor from "./Anchor.ts"
import type { Chained, Context } from "./Chain.ts"
import { Combiner } from "./Combiner.ts"
import type * as SegmentRunner from "./SegmentRunner.ts"

export const run = Effect.fnUntraced(function* (context: Context) {
  const { validated, segments, transition } = context
  const combiner = yield* Combiner
  const count = validated.durations.length
  // Segment 1 needs only the user's prompt, so its create goes out before the planner builds its request.
  const [opening, plan] = yield* Effect.all(
    [
      segments.run(1, {
        prompt: context.firstPrompt,
        promptBy: "user",
        reference: context.firstReference,
        lastFrame: count > 1
      }),
      context.plan
    ],
    { concurrency: 2 }
  )
  const outcomes: Array<SegmentRunner.Outcome> = [opening]
  if (count > 1) yield* context.checkDrift(1, opening.clip.path)
  for (let segment = 2; segment <= count; segment++) {
    const previous = outcomes[segment - 2]!
    const outcome = yield* segments.run(segment, {
      prompt: plan.segments[segment - 1]!.prompt,
      promptBy: context.promptBy(segment),
      // The seam: this segment opens on the previous clip's last frame.
      reference: previous.lastFrame?.path,
      // The last clip's frame is only saved, not needed: it is extracted while the join runs.
      lastFrame: segment < count
    })
    // The join's share of this segment is done while the next one renders (the last one's, by the join).
    if (segment < count) {
      yield* Effect.forkScoped(combiner.prepare(Anchor.joinedFile(outcome.clip.path, outcome.anchor), transition))
    }
    outcomes.push(outcome)
    if (segment < count) yield* context.checkDrift(segment, outcome.clip.path)
  }
  return { plan, outcomes } satisfies Chained
})
