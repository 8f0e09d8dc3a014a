/** One convention for keys: a plain string or a `Redacted`, redacted at once either way. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as OpenAiClient from "../src/OpenAiClient.ts"

describe("OpenAiClient keys", () => {
  it("takes a plain string as well as a Redacted, and keeps it redacted", () => {
    for (const apiKey of ["sk-plain-key", Redacted.make("sk-plain-key")]) {
      const service = OpenAiClient.make({ apiKey })
      assert.strictEqual(service.client.apiKey, "sk-plain-key")
      assert.isTrue(Redacted.isRedacted(service.apiKey))
      assert.notInclude(String(service.apiKey), "sk-plain-key")
    }
  })

  it.effect("layerConfig takes a plain string too (no 'Unable to get redacted value')", () =>
    Effect.gen(function* () {
      const service = yield* OpenAiClient.OpenAiClient
      assert.strictEqual(Redacted.value(service.apiKey), "sk-from-options")
    }).pipe(Effect.provide(OpenAiClient.layerConfig({ apiKey: "sk-from-options" })))
  )
})
