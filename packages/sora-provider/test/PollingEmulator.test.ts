/**
 * The polling schedule end to end: a render of a few seconds on the emulator, noticed soon after
 * it completes, at no more than one poll per 2 s over the job's life.
 */
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Progress, SegmentGenerator } from "@longsora/core"
import { Polling } from "@longsora/provider-kit"
import { Effect } from "effect"
import { vi } from "vitest"
import { generatorLayer, provide, spec, useEmulator } from "./helpers.ts"

vi.setConfig({ testTimeout: 30_000 })

const RENDER_SECONDS = 5
const env = useEmulator({ render: { fixedSeconds: RENDER_SECONDS, secondsPerVideoSecond: 0 } })

describe("Polling against the emulator", () => {
  it.live("notices completion soon after it happens, at no more than one poll per 2 s", () =>
    Effect.gen(function* () {
      const polls: Array<{ at: number; status: string }> = []
      const { job, submittedAt } = yield* provide(
        Effect.gen(function* () {
          const generator = yield* SegmentGenerator.SegmentGenerator
          const job = yield* generator.submit(spec())
          const submittedAt = Date.now()
          yield* generator.complete(job, join(env.dir(), "timed.mp4"))
          return { job, submittedAt }
        }).pipe(
          Effect.provideService(
            Progress.ProgressReporter,
            Progress.callbackReporter((e) => {
              if (e._tag === "SegmentProgress") polls.push({ at: Date.now(), status: e.status })
            })
          )
        ),
        generatorLayer(env.emu(), { polling: { expectedRenderMs: Polling.defaultPollingOptions.expectedRenderMs } })
      )
      const completedAt =
        env
          .emu()
          .stats()
          .jobs.find((j) => j.id === job.id)?.completedAt ?? Number.NaN
      const seen = polls.find((p) => p.status === "completed")!.at
      // The emulator completes the job once its simulated time passed and the real render is done.
      assert.isAtLeast(completedAt - submittedAt, RENDER_SECONDS * 1000 - 200)
      assert.isBelow(seen - completedAt, 1_000)
      assert.isAtLeast((seen - submittedAt) / polls.length, 2_000 - 50)
    })
  )
})
