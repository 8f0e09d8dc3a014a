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
      segments.runEarly(1, {
        prompt: context.firstPrompt,
        promptBy: "user",
        reference: context.firstReference,
        lastFrame: count > 1
      }),
      context.plan
    ],
    { concurrency: 2 }
  )
  const outcomes: Array<SegmentRunner.Outcome> = [opening.outcome]
  // A clip may still be downloading (range-first) while the next segment is created from its last frame: what
  // reads the whole clip (drift, the join's preparation, the join itself) waits for it.
  const finished: Array<SegmentRunner.EarlyOutcome["finished"]> = [opening.finished]
  const measureDrift = (segment: number, early: SegmentRunner.EarlyOutcome) =>
    context.validated.request.maxDrift === undefined
      ? Effect.void
      : Effect.andThen(early.finished, context.checkDrift(segment, early.outcome.clip.path))
  // The joined files so far: the audio blend of each is done while the next segment renders.
  const joined = [Anchor.joinedFile(opening.outcome.clip.path, opening.outcome.anchor)]
  const prepareAudio = (early: SegmentRunner.EarlyOutcome) =>
    Effect.forkScoped(Effect.andThen(early.finished, context.prepareAudio([...joined])))
  if (count > 1) yield* prepareAudio(opening)
  if (count > 1) yield* measureDrift(1, opening)
  for (let segment = 2; segment <= count; segment++) {
    const previous = outcomes[segment - 2]!
    const early = yield* segments.runEarly(segment, {
      prompt: plan.segments[segment - 1]!.prompt,
      promptBy: context.promptBy(segment),
      // The seam: this segment opens on the previous clip's last frame.
      reference: previous.lastFrame?.path,
      // The last clip's frame is only saved, not needed: it is extracted while the join runs.
      lastFrame: segment < count
    })
    const { outcome } = early
    // The join's share of this segment is done while the next one renders (the last one's, by the join).
    if (segment < count) {
      joined.push(Anchor.joinedFile(outcome.clip.path, outcome.anchor))
      const prepare = combiner.prepare(joined[segment - 1]!, transition)
      yield* Effect.forkScoped(Effect.andThen(early.finished, prepare))
      yield* prepareAudio(early)
    }
    outcomes.push(outcome)
    finished.push(early.finished)
    if (segment < count) yield* measureDrift(segment, early)
  }
  // Every clip whole and recorded before the join reads them.
  yield* Effect.forEach(finished, (wait) => wait, { discard: true })
  return { plan, outcomes } satisfies Chained
})
