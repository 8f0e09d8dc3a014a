/**
 * `mode: independent`: every segment from its own prompt and no image, as many at once as the
 * provider allows (`maxConcurrency`, else its `maxConcurrentJobs`). Segment 1 starts while planning.
 */
import { Effect, Semaphore } from "effect"
import { type Chained, type Context, prepareAsFinished } from "./Chain.ts"
import type * as SegmentRunner from "./SegmentRunner.ts"

export const run = Effect.fnUntraced(function* (context: Context) {
  const { validated, segments } = context
  const { request } = validated
  const slots = yield* Semaphore.make(Math.max(1, request.maxConcurrency ?? validated.capabilities.maxConcurrentJobs))
  const finished = prepareAsFinished(context)
  const runSegment = (segment: number, run: SegmentRunner.Run) =>
    slots.withPermit(segments.run(segment, run)).pipe(Effect.tap((outcome) => finished(segment, outcome)))
  const [[plan, others], opening] = yield* Effect.all(
    [
      Effect.flatMap(context.plan, (plan) =>
        Effect.map(
          Effect.forEach(
            plan.segments.slice(1),
            (segment, i) =>
              runSegment(i + 2, {
                prompt: segment.prompt,
                promptBy: context.promptBy(i + 2),
                lastFrame: request.saveSegments
              }),
            { concurrency: "unbounded" }
          ),
          (others) => [plan, others] as const
        )
      ),
      runSegment(1, {
        prompt: context.firstPrompt,
        promptBy: "user",
        reference: context.firstReference,
        lastFrame: request.saveSegments
      })
    ],
    { concurrency: 2 }
  )
  return { plan, outcomes: [opening, ...others] } satisfies Chained
})
