/** The routing generator keeps a routed generator's range-first `completeEarly`, and stands in for one without. */
import { assert, describe, it } from "@effect/vitest"
import { SegmentGenerator } from "@longsora/core"
import { Effect, Layer } from "effect"
import * as Routing from "../src/Routing.ts"

const clip = (job: SegmentGenerator.SegmentJob, path: string): SegmentGenerator.GeneratedClip => ({
  segment: job.segment,
  jobId: job.id,
  path,
  seconds: job.seconds
})

const fake = (early: boolean) =>
  Layer.succeed(
    SegmentGenerator.SegmentGenerator,
    SegmentGenerator.SegmentGenerator.of({
      capabilities: () => Effect.die("unused"),
      submit: () => Effect.die("unused"),
      complete: (job, destination) => Effect.succeed(clip(job, `${destination} (whole)`)),
      completeEarly: early
        ? (job, destination) =>
            Effect.succeed({ preview: `${destination}.preview`, rest: Effect.succeed(clip(job, destination)) })
        : undefined
    })
  )

const job = (id: string): SegmentGenerator.SegmentJob => ({ segment: 1, id, seconds: 4 })

describe("Routing.generator", () => {
  it.effect("completeEarly goes to the routed generator's, or to its complete when it has none", () =>
    Effect.gen(function* () {
      const generator = yield* SegmentGenerator.SegmentGenerator
      // Bare ids: the OpenAI-protocol side, which downloads range-first.
      const bare = yield* generator.completeEarly!(job("video_1"), "a.mp4")
      assert.strictEqual(bare.preview, "a.mp4.preview")
      assert.strictEqual((yield* bare.rest).path, "a.mp4")
      // AI SDK ids (JSON): this side has no completeEarly here, so the whole clip, at once.
      const ai = yield* generator.completeEarly!(job('{"model":"google:veo"}'), "b.mp4")
      assert.isUndefined(ai.preview)
      assert.strictEqual((yield* ai.rest).path, "b.mp4 (whole)")
    }).pipe(Effect.provide(Routing.generator(fake(false), fake(true))))
  )
})
