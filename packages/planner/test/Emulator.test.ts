/**
 * The planner against the emulator's `/v1/responses`, which rejects a strict json_schema that is not
 * strict-valid and writes a schema-valid plan honouring the `Segments:` / `Seconds:` lines.
 */

import { assert, describe, it } from "@effect/vitest"
import { Planner } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as OpenAiPlanner from "../src/OpenAiPlanner.ts"

const KEY = "sk-longsora-planner-TESTKEY-51d2"
let emu: Emulator.RunningEmulator | undefined
beforeAll(async () => {
  emu = await Emulator.start({ apiKey: KEY })
})
afterAll(async () => {
  await emu?.close()
})

const input: Planner.PlanInput = {
  prompt: "A paper boat sails down a rain-soaked street at dusk",
  durations: [8, 8, 4],
  planModel: "gpt-5",
  videoModel: "sora-2",
  maxPromptLength: 1_000,
  hasReference: false
}

const plan = (planInput: Planner.PlanInput = input) =>
  Effect.gen(function* () {
    const planner = yield* Planner.Planner
    return yield* planner.plan(planInput)
  }).pipe(
    Effect.provide(
      OpenAiPlanner.layer({ apiKey: Redacted.make(KEY), baseURL: emu!.baseURL, retry: { baseDelayMs: 20 } })
    )
  )

describe("OpenAiPlanner against the emulator", () => {
  it.live("plans 3 segments through responses.parse with a strict schema", () =>
    Effect.gen(function* () {
      const result = yield* plan()
      assert.deepStrictEqual(
        result.segments.map((s) => s.seconds),
        [8, 8, 4]
      )
      for (const segment of result.segments) {
        assert.isAbove(segment.prompt.trim().length, 0)
        assert.isAtMost(segment.prompt.length, input.maxPromptLength)
      }
      for (const field of ["Subject:", "Look:", "Camera:", "Light:", "Sound:"]) assert.include(result.brief, field)
    })
  )

  it.live("with keyframes asked, the emulator's plan describes segments + 1 of them", () =>
    Effect.gen(function* () {
      const result = yield* plan({ ...input, keyframes: true })
      assert.strictEqual(result.keyframes?.length, 4)
      for (const keyframe of result.keyframes ?? []) assert.include(keyframe, "paper boat")
    })
  )

  it.live("waits out 429s and a 5xx from the Responses endpoint", () =>
    Effect.gen(function* () {
      emu!.setFaults({ rateLimit: { count: 2, retryAfterMs: 30 }, serverErrors: { count: 1, status: 502 } })
      const before = emu!.stats().requestsByRoute["POST /v1/responses"] ?? 0
      const result = yield* plan()
      assert.strictEqual(result.segments.length, 3)
      assert.strictEqual((emu!.stats().requestsByRoute["POST /v1/responses"] ?? 0) - before, 4)
    })
  )
})
