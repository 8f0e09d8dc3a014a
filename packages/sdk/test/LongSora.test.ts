/**
 * The Effect API: `LongSora.generate(request)` with `LongSora.layer(...)`, and with the planner
 * swapped for a layer of our own whose prompts must be the ones the video model receives.
 */
import { join } from "node:path"
import { LongVideoRequest, Plan, Planner } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { LongSora, OpenAI } from "@longsora/sdk"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as Media from "./Media.ts"

const prompt = "A paper boat drifts down a rainy street."

const request = (outputDir: string, seconds: number, numGenerations: number) =>
  new LongVideoRequest.LongVideoRequest({
    prompt,
    model: "sora-2",
    seconds,
    numGenerations,
    planModel: "gpt-5",
    outputDir,
    saveSegments: true
  })

/** A planner that asks no LLM: one fixed prompt per solved clip length. */
const fixedPlanner = Layer.succeed(
  Planner.Planner,
  Planner.Planner.of({
    plan: (input) =>
      Effect.succeed(
        new Plan.Plan({
          brief: "Fixed brief: one paper boat, rain, low camera.",
          segments: input.durations.map(
            (seconds, i) => new Plan.PlannedSegment({ prompt: `Fixed segment ${i + 1}: the boat sails on.`, seconds })
          ) as [Plan.PlannedSegment, ...Array<Plan.PlannedSegment>]
        })
      )
  })
)

describe.concurrent("LongSora (Effect API)", { timeout: 180_000 }, () => {
  it("generates with LongSora.layer({ apiKey, baseURL })", async () => {
    const emu = await Emulator.start()
    const dir = Media.tempDir("effect-layer")
    try {
      const outputDir = join(dir.path, "output")
      const result = await Effect.runPromise(
        LongSora.generate(request(outputDir, 4, 1)).pipe(
          Effect.provide(LongSora.layer({ apiKey: emu.apiKey, baseURL: emu.baseURL }))
        )
      )
      expect(result.output).toBe(join(outputDir, "output.mp4"))
      expect((await Media.probe(result.output)).duration).toBeCloseTo(4, 0)
      expect(result.jobIds).toHaveLength(1)
      expect(result.secondsBilled).toBe(4)
      expect(emu.stats().creates).toBe(1)
    } finally {
      await emu.close()
      dir.remove()
    }
  })

  it("sends the swapped planner's prompts to the video model and never calls the Responses API", async () => {
    const emu = await Emulator.start()
    const dir = Media.tempDir("effect-planner")
    try {
      const outputDir = join(dir.path, "output")
      const result = await Effect.runPromise(
        LongSora.generate(request(outputDir, 8, 2)).pipe(
          Effect.provide(LongSora.layer({ apiKey: emu.apiKey, baseURL: emu.baseURL, planner: fixedPlanner }))
        )
      )
      expect(result.plan.brief).toBe("Fixed brief: one paper boat, rain, low camera.")
      // Segment 1 is always the user's own prompt; the rest are the planner's.
      expect(result.plan.segments.map((segment) => segment.prompt)).toEqual([
        prompt,
        "Fixed segment 2: the boat sails on."
      ])
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const prompts = await Promise.all(result.jobIds.map(async (id) => (await client.videos.retrieve(id)).prompt))
      expect(prompts).toEqual([prompt, "Fixed segment 2: the boat sails on."])
      expect(emu.stats().requestsByRoute["POST /v1/responses"] ?? 0).toBe(0)
      expect(emu.stats().creates).toBe(2)
    } finally {
      await emu.close()
      dir.remove()
    }
  })
})
