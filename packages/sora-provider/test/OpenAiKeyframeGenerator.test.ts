/**
 * The OpenAI Images keyframe generator against the emulator: keyframe 0 from text
 * (`images.generate`), the next as an edit of it (`images.edit`), each one billed image; a 429 is
 * waited out, a lost answer (5xx) is never sent again; an unknown model is refused before any call.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { KeyframeGenerator } from "@longsora/core"
import { ReferenceImage } from "@longsora/provider-kit"
import { Effect, Redacted } from "effect"
import * as OpenAiKeyframeGenerator from "../src/OpenAiKeyframeGenerator.ts"
import { KEY, useEmulator } from "./helpers.ts"

const env = useEmulator()

const layer = (model?: string) =>
  OpenAiKeyframeGenerator.layer({
    apiKey: Redacted.make(KEY),
    baseURL: env.emu().baseURL,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...(model ? { model } : {})
  })

const images = () => env.emu().stats().images
const made = (before: { generations: number; edits: number }) => {
  const now = images()
  return { generations: now.generations - before.generations, edits: now.edits - before.edits }
}

const keyframe = (index: number, prompt: string, source?: string) =>
  Effect.gen(function* () {
    const generator = yield* KeyframeGenerator.KeyframeGenerator
    return yield* generator.generate({
      index,
      prompt,
      size: "1280x720",
      source,
      destination: join(env.dir(), `keyframe_${index}_raw`)
    })
  })

describe("OpenAiKeyframeGenerator against the emulator", () => {
  it.live(
    "keyframe 0 from text, keyframe 1 as an edit of it: one billed image each, at the model's landscape size",
    () =>
      Effect.gen(function* () {
        env.emu().setFaults({})
        const before = images()
        const generator = yield* KeyframeGenerator.KeyframeGenerator
        assert.deepStrictEqual(
          { model: generator.capabilities.model, usd: generator.capabilities.usdPerImage },
          { model: "gpt-image-1.5", usd: 0.05 }
        )
        assert.isString(generator.capabilities.sources?.usdPerImage)
        const first = yield* keyframe(0, "A red paper boat on a dark street")
        const second = yield* keyframe(1, "The same boat, further down the street", first)
        assert.deepStrictEqual(made(before), { generations: 1, edits: 1 })
        for (const file of [first, second]) {
          const bytes = readFileSync(file)
          assert.strictEqual(ReferenceImage.mimeFromBytes(bytes), "image/png")
          assert.deepStrictEqual(ReferenceImage.dimensions(bytes, "image/png"), { width: 1536, height: 1024 })
        }
      }).pipe(Effect.provide(layer()))
  )

  it.live("waits out a 429 (refused before any work) and asks again", () =>
    Effect.gen(function* () {
      env.emu().setFaults({ rateLimit: { count: 1, retryAfterMs: 20 } })
      const before = images()
      yield* keyframe(2, "A blue lantern")
      assert.deepStrictEqual(made(before), { generations: 1, edits: 0 })
    }).pipe(Effect.provide(layer()))
  )

  it.live("a 5xx may have been billed: not sent again, a KeyframeError naming the keyframe and the model", () =>
    Effect.gen(function* () {
      env.emu().setFaults({ serverErrors: { count: 1, status: 500 } })
      const before = env.emu().stats().requestsByRoute["POST /v1/images/generations"] ?? 0
      const error = yield* Effect.flip(keyframe(3, "A green field"))
      assert.strictEqual(error._tag, "KeyframeError")
      assert.deepStrictEqual([error.index, error.model, error.kind], [3, "gpt-image-1.5", "unavailable"])
      assert.include(error.message, "Keyframe 3 (gpt-image-1.5")
      assert.notInclude(error.message, KEY)
      assert.strictEqual((env.emu().stats().requestsByRoute["POST /v1/images/generations"] ?? 0) - before, 1)
      assert.isFalse(existsSync(join(env.dir(), "keyframe_3_raw")))
    }).pipe(Effect.provide(layer()))
  )

  it.live("an unknown image model is refused when the layer is built, naming the known ones", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          yield* KeyframeGenerator.KeyframeGenerator
        }).pipe(Effect.provide(layer("gpt-image-9")))
      )
      assert.strictEqual(error._tag, "UnknownModel")
      assert.include(error.message, "gpt-image-9")
      assert.include(error.message, "gpt-image-1.5")
      assert.include(error.message, "OpenAiKeyframeGenerator.layer({ model, models")
    })
  )
})
