/**
 * The AI SDK planner through the real `@ai-sdk/openai` package against the emulator's Responses API:
 * a valid plan by provider-prefixed id (the key and base URL as connection settings), and the one
 * corrective turn when the first reply does not fit (the emulator's reply is cut to two segments).
 */
import { createOpenAI } from "@ai-sdk/openai"
import { assert, describe, it } from "@effect/vitest"
import { Planner } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { ConfigProvider, Effect, Redacted } from "effect"
import * as AiSdkPlanner from "../src/AiSdkPlanner.ts"

const input: Planner.PlanInput = {
  prompt: "A paper boat sails down a rain-soaked street",
  durations: [8, 8, 8],
  planModel: "openai:gpt-5",
  videoModel: "google:veo-3.1-generate-preview",
  maxPromptLength: 400,
  hasReference: false
}

const emulator = Effect.acquireRelease(
  Effect.promise(() => Emulator.start()),
  (emu) => Effect.promise(() => emu.close())
)

const planWith = (planInput: Planner.PlanInput) =>
  Effect.gen(function* () {
    const planner = yield* Planner.Planner
    return yield* planner.plan(planInput)
  })

const plan = (layer: ReturnType<typeof AiSdkPlanner.layer>) => planWith(input).pipe(Effect.provide(layer))

/** Rewrites the text of the first `/responses` answer with `edit`; counts the requests. */
const editFirstReply = (edit: (text: string) => string) => {
  const bodies: Array<Record<string, unknown>> = []
  const fetch: typeof globalThis.fetch = async (url, init) => {
    bodies.push(JSON.parse(String(init?.body)))
    const response = await globalThis.fetch(url, init)
    if (bodies.length > 1) return response
    const json = (await response.json()) as { output: Array<{ type: string; content?: Array<{ text: string }> }> }
    for (const item of json.output) {
      for (const part of item.content ?? []) part.text = edit(part.text)
    }
    return new Response(JSON.stringify(json), { status: 200, headers: { "content-type": "application/json" } })
  }
  return { bodies, fetch }
}

/** Cuts the first answer's plan to its first two segments. */
const cutFirstReply = () =>
  editFirstReply((text) => {
    const planned = JSON.parse(text) as { segments: Array<unknown> }
    return JSON.stringify({ ...planned, segments: planned.segments.slice(0, 2) })
  })

describe("AiSdkPlanner", () => {
  it.live("plans through @ai-sdk/openai by provider-prefixed id", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const result = yield* plan(
        AiSdkPlanner.layer({ connections: { openai: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.baseURL } } })
      )
      assert.deepStrictEqual(
        result.segments.map((s) => s.seconds),
        [8, 8, 8]
      )
      for (const segment of result.segments) assert.isAbove(segment.prompt.trim().length, 0)
      assert.isAbove(result.brief.length, 0)
      assert.strictEqual(emu.stats().requestsByRoute["POST /v1/responses"], 1)
    })
  )

  it.live("with keyframes asked, plans segments + 1 keyframe descriptions through structured output", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const result = yield* planWith({ ...input, keyframes: true }).pipe(
        Effect.provide(
          AiSdkPlanner.layer({ connections: { openai: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.baseURL } } })
        )
      )
      assert.strictEqual(result.segments.length, 3)
      assert.strictEqual(result.keyframes?.length, 4)
      for (const keyframe of result.keyframes ?? []) assert.include(keyframe, "paper boat")
    })
  )

  it.live("asks once more, naming the problem, when the first plan does not fit", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const { bodies, fetch } = cutFirstReply()
      const model = createOpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL, fetch }).responses("gpt-5")
      const result = yield* plan(AiSdkPlanner.layer({ languageModels: { "openai:gpt-5": model } }))
      assert.strictEqual(result.segments.length, 3)
      assert.strictEqual(bodies.length, 2)
      const correction = JSON.stringify(bodies[1]!.input)
      assert.include(correction, "the plan has 2 segments; it must have exactly 3")
    })
  )

  it.live("asks once more when the first reply is not the plan's JSON (NoObjectGeneratedError)", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const { bodies, fetch } = editFirstReply(() => "Here is your plan: a boat, some rain.")
      const model = createOpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL, fetch }).responses("gpt-5")
      const result = yield* plan(AiSdkPlanner.layer({ languageModels: { "openai:gpt-5": model } }))
      assert.strictEqual(result.segments.length, 3)
      assert.strictEqual(bodies.length, 2)
      assert.include(JSON.stringify(bodies[1]!.input), "the reply did not match the plan schema")
    })
  )

  it.live("fails with a PlannerError naming the env var when the provider has no key", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        planWith({ ...input, planModel: "google:gemini-2.5-flash" }).pipe(
          Effect.provide(AiSdkPlanner.layer()),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
        )
      )
      assert.include(error.message, "GOOGLE_GENERATIVE_AI_API_KEY")
    })
  )
})
