/**
 * The Effect API with your own planner: any `Planner` layer replaces the OpenAI Responses planner.
 * This one asks no LLM; it walks a fixed shot list. (Segment 1 always uses your own prompt; the
 * planner's prompts are used from segment 2 on.)
 *
 * Offline by default: without OPENAI_BASE_URL it starts the local emulator and points the layer at it;
 * with it, `LongSora.layerConfig` reads OPENAI_API_KEY / OPENAI_BASE_URL from the environment.
 */
import { LongVideoRequest, Plan, Planner } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { LongSora } from "@longsora/sdk"
import { Effect, Layer } from "effect"

const shots = [
  "Wide shot: the fox steps out of the forest onto fresh snow.",
  "Medium shot: the fox pauses, ears up, breath steaming in the cold.",
  "Close-up: the fox pounces into the snow and comes up with nothing."
]

const ShotListPlanner = Layer.succeed(
  Planner.Planner,
  Planner.Planner.of({
    plan: (input) =>
      Effect.succeed(
        new Plan.Plan({
          brief: `${input.prompt} Same fox, same winter light, handheld camera.`,
          segments: input.durations.map(
            (seconds, i) => new Plan.PlannedSegment({ prompt: shots[i % shots.length]!, seconds })
          ) as [Plan.PlannedSegment, ...Array<Plan.PlannedSegment>]
        })
      )
  })
)

const request = new LongVideoRequest.LongVideoRequest({
  prompt: "A red fox hunts in a snowy forest clearing.",
  model: "sora-2",
  seconds: 8,
  numGenerations: 2,
  planModel: "gpt-5", // not used by this planner
  outputDir: "longsora-output/swap-planner",
  saveSegments: true
})

const emulator = process.env.OPENAI_BASE_URL ? undefined : await Emulator.start()
try {
  const services = emulator
    ? LongSora.layer({ apiKey: emulator.apiKey, baseURL: emulator.baseURL, planner: ShotListPlanner })
    : LongSora.layerConfig({ planner: ShotListPlanner })

  const result = await Effect.runPromise(LongSora.generate(request).pipe(Effect.provide(services)))

  console.log(`Video: ${result.output} (${result.durations.join(" + ")} s)`)
  for (const segment of result.segments) console.log(`  segment ${segment.index}: ${segment.prompt}`)
} finally {
  await emulator?.close()
}
