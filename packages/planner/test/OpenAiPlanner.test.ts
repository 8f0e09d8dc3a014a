import { assert, describe, it } from "@effect/vitest"
import { Planner } from "@longsora/core"
import { Effect, Redacted } from "effect"
import * as OpenAiPlanner from "../src/OpenAiPlanner.ts"
import * as PlannerPrompt from "../src/PlannerPrompt.ts"
import type { PlanOutput } from "../src/PlanSchema.ts"

const input: Planner.PlanInput = {
  prompt: "A paper boat sails down a rain-soaked street",
  durations: [8, 8, 4],
  planModel: "gpt-5",
  videoModel: "sora-2",
  maxPromptLength: 400,
  hasReference: false
}

const brief = { subject: "a red paper boat", look: "35mm film", camera: "low tracking", light: "dusk", sound: "rain" }
const planOf = (seconds: ReadonlyArray<number>, prompt = (i: number) => `Segment ${i + 1}. The boat drifts on.`) =>
  ({ brief, segments: seconds.map((s, i) => ({ seconds: s, prompt: prompt(i) })) }) satisfies PlanOutput

const responseBody = (plan: unknown) => ({
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  error: null,
  incomplete_details: null,
  model: "gpt-5",
  output: [
    {
      id: "msg_1",
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: JSON.stringify(plan), annotations: [] }]
    }
  ]
})

/** A scripted `/v1/responses`: each call takes the next reply; request bodies are recorded. */
const scripted = (
  replies: ReadonlyArray<{ status?: number; body: unknown; headers?: Record<string, string> }>,
  planInput: Planner.PlanInput = input
) => {
  const requests: Array<Record<string, unknown>> = []
  const fetch: typeof globalThis.fetch = async (_url, init) => {
    requests.push(JSON.parse(String(init?.body)))
    const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!
    return new Response(JSON.stringify(reply.body), {
      status: reply.status ?? 200,
      headers: { "content-type": "application/json", ...reply.headers }
    })
  }
  const layer = OpenAiPlanner.layer({
    apiKey: Redacted.make("sk-test-planner"),
    baseURL: "http://planner.invalid/v1",
    fetch,
    retry: { baseDelayMs: 1, maxDelayMs: 5 }
  })
  const plan = Effect.gen(function* () {
    const planner = yield* Planner.Planner
    return yield* planner.plan(planInput)
  }).pipe(Effect.provide(layer))
  return { requests, plan }
}

describe("OpenAiPlanner", () => {
  it.live("plans with a strict json_schema format and machine-readable lines", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted([{ body: responseBody(planOf([8, 8, 4])) }])
      const result = yield* plan
      assert.deepStrictEqual(
        result.segments.map((s) => s.seconds),
        [8, 8, 4]
      )
      assert.include(result.brief, "Subject: a red paper boat")
      const body = requests[0]! as {
        model: string
        reasoning: { effort: string }
        input: Array<{ content: string }>
        text: { format: { type: string; strict: boolean; schema: { additionalProperties: boolean } } }
      }
      assert.strictEqual(body.model, "gpt-5")
      assert.strictEqual(body.reasoning.effort, "low")
      assert.strictEqual(body.text.format.type, "json_schema")
      assert.isTrue(body.text.format.strict)
      assert.isFalse(body.text.format.schema.additionalProperties)
      const user = body.input[1]!.content
      assert.include(user, "Segments: 3")
      assert.include(user, "Seconds: [8, 8, 4]")
      assert.include(user, "Max prompt length: 400")
      assert.include(body.input[0]!.content, "replaced by the user's own prompt")
    })
  )

  it.live("asks once more, naming the problem, when the plan does not fit", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted([
        { body: responseBody(planOf([8, 8])) },
        { body: responseBody(planOf([8, 8, 4])) }
      ])
      const result = yield* plan
      assert.strictEqual(result.segments.length, 3)
      assert.strictEqual(requests.length, 2)
      const correction = (requests[1]! as { input: Array<{ role: string; content: string }> }).input.at(-1)!
      assert.strictEqual(correction.role, "user")
      assert.include(correction.content, "the plan has 2 segments; it must have exactly 3")
    })
  )

  it.live("fails with a PlannerError after the corrective turn also fails", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted([{ body: responseBody(planOf([8, 4, 4], (i) => (i === 2 ? " " : "ok."))) }])
      const error = yield* Effect.flip(plan)
      assert.strictEqual(error._tag, "PlannerError")
      assert.include(error.reason, "segment 2 has seconds 4; it must be 8")
      assert.include(error.reason, "segment 3 has an empty prompt")
      assert.strictEqual(requests.length, 2)
    })
  )

  it.live("retries 429 and 5xx, honouring retry-after-ms", () =>
    Effect.gen(function* () {
      const error = { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }
      const { requests, plan } = scripted([
        { status: 429, body: error, headers: { "retry-after-ms": "10" } },
        { status: 503, body: { error: { message: "overloaded" } } },
        { body: responseBody(planOf([8, 8, 4])) }
      ])
      yield* plan
      assert.strictEqual(requests.length, 3)
    })
  )

  it.live("does not retry a 400 and reports it as a PlannerError without the key", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted([
        { status: 400, body: { error: { message: "Invalid schema for sk-test-planner", code: "invalid_json_schema" } } }
      ])
      const error = yield* Effect.flip(plan)
      assert.include(error.reason, "400")
      assert.notInclude(error.message, "sk-test-planner")
      assert.strictEqual(requests.length, 1)
    })
  )

  it.live("cuts over-long prompts at a sentence boundary", () =>
    Effect.gen(function* () {
      const long = (i: number) => `Segment ${i + 1} opens on the boat. ${"It drifts past lamplit puddles. ".repeat(30)}`
      const { plan } = scripted([{ body: responseBody(planOf([8, 8, 4], long)) }])
      const result = yield* plan
      for (const segment of result.segments) {
        assert.isAtMost(segment.prompt.length, 400)
        assert.match(segment.prompt, /\.$/)
      }
    })
  )
})

describe("OpenAiPlanner with keyframes (chain: keyframes)", () => {
  const keyframed = { ...input, keyframes: true }
  const stills = (n: number) => Array.from({ length: n }, (_, i) => `Still ${i}: the red boat by a lamp post.`)

  it.live("asks for segments + 1 keyframe descriptions in a strict schema and returns them in the plan", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted(
        [{ body: responseBody({ ...planOf([8, 8, 4]), keyframes: stills(4) }) }],
        keyframed
      )
      const result = yield* plan
      assert.deepStrictEqual(result.keyframes, stills(4))
      const body = requests[0]! as {
        input: Array<{ content: string }>
        text: { format: { strict: boolean; schema: { required: Array<string>; properties: Record<string, unknown> } } }
      }
      assert.isTrue(body.text.format.strict)
      assert.include(body.text.format.schema.required, "keyframes")
      assert.include(body.input[1]!.content, "Keyframes: 4")
      assert.include(body.input[0]!.content, "exactly 4 still-image descriptions")
    })
  )

  it.live("a plan with the wrong number of keyframes gets the corrective turn naming it", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted(
        [
          { body: responseBody({ ...planOf([8, 8, 4]), keyframes: stills(3) }) },
          { body: responseBody({ ...planOf([8, 8, 4]), keyframes: stills(4) }) }
        ],
        keyframed
      )
      const result = yield* plan
      assert.strictEqual(result.keyframes?.length, 4)
      const correction = (requests[1]! as { input: Array<{ content: string }> }).input.at(-1)!.content
      assert.include(correction, "the plan has 3 keyframes; it must have exactly 4 (segments + 1)")
    })
  )

  it.live("without keyframes asked, the schema has none and the plan carries none", () =>
    Effect.gen(function* () {
      const { requests, plan } = scripted([{ body: responseBody(planOf([8, 8, 4])) }])
      const result = yield* plan
      assert.isUndefined(result.keyframes)
      const schema = (requests[0]! as { text: { format: { schema: { properties: Record<string, unknown> } } } }).text
        .format.schema
      assert.notProperty(schema.properties, "keyframes")
    })
  )
})

describe("PlannerPrompt.fitPrompt", () => {
  it("keeps short prompts and cuts at sentences, then words", () => {
    assert.strictEqual(PlannerPrompt.fitPrompt("  Short.  ", 100), "Short.")
    assert.strictEqual(PlannerPrompt.fitPrompt("One two three. Four five six seven.", 20), "One two three.")
    assert.strictEqual(PlannerPrompt.fitPrompt("Alpha beta gamma delta epsilon", 14), "Alpha beta")
  })
})
