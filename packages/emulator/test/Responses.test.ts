import { describe, expect, it } from "vitest"
import { postJson, useEmulator } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

const planSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    title: { type: "string" },
    segments: {
      type: "array",
      items: {
        type: "object",
        properties: {
          prompt: { type: "string" },
          seconds: { type: "integer", enum: [4, 8, 12] },
          note: { type: ["string", "null"] },
          mood: { $ref: "#/$defs/Mood" }
        },
        required: ["prompt", "seconds", "note", "mood"],
        additionalProperties: false
      }
    }
  },
  required: ["title", "segments"],
  additionalProperties: false,
  $defs: { Mood: { type: "string", enum: ["calm", "tense"] } }
}

const ask = (schema: unknown, user: string, strict = true) => ({
  model: "gpt-5",
  reasoning: { effort: "low" },
  input: [
    { role: "system", content: "You plan long videos as segments that continue one story." },
    { role: "user", content: user }
  ],
  text: { format: { type: "json_schema", name: "plan", strict, schema } }
})

describe("Responses API", { timeout: 40_000 }, () => {
  const emu = useEmulator()

  it("returns a Response object whose text is schema-valid JSON following the requested plan", async () => {
    const res = await postJson(
      emu(),
      "/responses",
      ask(planSchema, "Prompt: a paper boat drifting down a rainy street\nSegments: 3\nSeconds: [8, 4, 12]")
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      output: Array<{ type: string; content?: Array<{ text: string }> }>
      usage: { total_tokens: number }
    }
    expectSchema("Response", body)
    const message = body.output.find((o) => o.type === "message")
    const plan = JSON.parse(message?.content?.[0]?.text ?? "") as {
      title: string
      segments: Array<{ prompt: string; seconds: number; mood: string }>
    }
    expect(plan.segments.map((s) => s.seconds)).toEqual([8, 4, 12])
    expect(plan.segments[0]?.prompt).toContain("a paper boat drifting down a rainy street")
    expect(plan.segments[1]?.prompt).toContain("previous shot")
    expect(plan.segments.every((s) => s.mood === "calm")).toBe(true)
    expect(body.usage.total_tokens).toBeGreaterThan(0)
  })

  it("honours minItems/maxItems and 'exactly N segments' from a JSON block", async () => {
    const schema = structuredClone(planSchema) as typeof planSchema & {
      properties: { segments: Record<string, unknown> }
    }
    schema.properties.segments.minItems = 2
    schema.properties.segments.maxItems = 5
    const res = await postJson(
      emu(),
      "/responses",
      ask(schema, 'A fox crosses a snowy field. ```json\n{"segments": 7, "seconds": [4,4,4,4,4,4,4]}\n```')
    )
    const body = (await res.json()) as { output: Array<{ type: string; content?: Array<{ text: string }> }> }
    const plan = JSON.parse(body.output.find((o) => o.type === "message")?.content?.[0]?.text ?? "") as {
      segments: Array<unknown>
    }
    expect(plan.segments).toHaveLength(5)
    const exact = await postJson(emu(), "/responses", ask(planSchema, "Make exactly 4 segments about a lighthouse."))
    const b2 = (await exact.json()) as { output: Array<{ type: string; content?: Array<{ text: string }> }> }
    expect(JSON.parse(b2.output.find((o) => o.type === "message")?.content?.[0]?.text ?? "").segments).toHaveLength(4)
  })

  it("rejects a schema that is not strict-compatible, like OpenAI", async () => {
    const loose = { type: "object", properties: { title: { type: "string" } }, required: ["title"] }
    const res = await postJson(emu(), "/responses", ask(loose, "x"))
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { param: string; code: string; message: string } }
    expectSchema("ErrorResponse", body)
    expect(body.error).toMatchObject({ param: "text.format.schema", code: "invalid_json_schema" })
    expect(body.error.message).toContain("additionalProperties")

    const missing = {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      required: ["a"],
      additionalProperties: false
    }
    const r2 = await postJson(emu(), "/responses", ask(missing, "x"))
    const b2 = (await r2.json()) as { error: { code: string; message: string } }
    expect(b2.error.code).toBe("invalid_json_schema")
    expect(b2.error.message).toContain("Missing 'b'")

    // Non-strict formats are not checked.
    expect((await postJson(emu(), "/responses", ask(loose, "x", false))).status).toBe(200)
  })

  it("rejects sampling params on reasoning models and unknown parameters", async () => {
    const r1 = await postJson(emu(), "/responses", { ...ask(planSchema, "x"), temperature: 0.2 })
    expect(r1.status).toBe(400)
    expect(((await r1.json()) as { error: { code: string } }).error.code).toBe("unsupported_parameter")
    const r2 = await postJson(emu(), "/responses", { ...ask(planSchema, "x"), foo: 1 })
    expect(((await r2.json()) as { error: { code: string; param: string } }).error).toMatchObject({
      code: "unknown_parameter",
      param: "foo"
    })
  })
})
