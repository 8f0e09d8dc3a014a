/**
 * The keyframe generator through the unmodified `@ai-sdk/google` and `@ai-sdk/fal` image models,
 * loaded by LongSora as in a run, against the emulator in its own process: real images written to
 * the destination, an edit that keeps the source's look (measured), each image counted once.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@longsora/emulator"
import { Effect, Exit, Layer } from "effect"
import * as AiSdkKeyframeGenerator from "../src/AiSdkKeyframeGenerator.ts"
import * as Providers from "../src/Providers.ts"
import { childEmulator, emulator, run, tempDir } from "./helpers.ts"

/** The image endpoints of Google and fal, pointed at an emulator. */
const offline = (origin: string, apiKey = "sk-emulator") =>
  Effect.gen(function* () {
    const connection = (id: string) =>
      Providers.emulatorImageConnection(Providers.providers.find((p) => p.id === id)!, origin, apiKey)
    return { google: yield* connection("google"), fal: yield* connection("fal") }
  })

/** The picture's RGB at 64x36 (ffmpeg), to compare two pictures' look. */
const thumbnail = (path: string) =>
  Effect.promise(async () => {
    const { stdout } = await run(
      "ffmpeg",
      ["-v", "error", "-i", path, "-vf", "scale=64:36", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
      { encoding: "buffer" }
    )
    return stdout as Buffer
  })

/** Mean absolute difference per channel (0–255) of two pictures. */
const difference = (a: string, b: string) =>
  Effect.map(Effect.all([thumbnail(a), thumbnail(b)]), ([x, y]) => {
    let sum = 0
    for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!)
    return sum / x.length
  })

const isPng = (path: string) =>
  Effect.promise(async () => (await readFile(path)).subarray(0, 8).equals(Buffer.from("89504e470d0a1a0a", "hex")))

describe("AiSdkKeyframeGenerator", { timeout: 60_000 }, () => {
  it.live(
    "Gemini 2.5 Flash Image: keyframe 0 from text, keyframe 1 an edit that keeps its look, each image counted once",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const { origin } = yield* childEmulator(join(dir, "emulator"))
        const g = yield* AiSdkKeyframeGenerator.make({
          model: "google:gemini-2.5-flash-image",
          connections: yield* offline(origin)
        })
        assert.deepStrictEqual(
          [g.capabilities.model, g.capabilities.usdPerImage],
          ["google:gemini-2.5-flash-image", 0.039]
        )
        const k0 = yield* g.generate({
          index: 0,
          prompt: "A red lighthouse on a cliff",
          size: "1280x720",
          destination: join(dir, "k0")
        })
        const k1 = yield* g.generate({
          index: 1,
          prompt: "The lighthouse at night, its lamp lit",
          size: "1280x720",
          source: k0,
          destination: join(dir, "k1")
        })
        const other = yield* g.generate({
          index: 2,
          prompt: "A green forest under snow",
          size: "1280x720",
          destination: join(dir, "other")
        })
        assert.isTrue(yield* isPng(k1))
        const kept = yield* difference(k0, k1)
        const unrelated = yield* difference(k0, other)
        assert.isBelow(kept, 25, `edit differs from its source by ${kept}`)
        assert.isAbove(unrelated, 3 * kept, `unrelated ${unrelated} vs edit ${kept}`)
        assert.strictEqual((yield* Effect.promise(() => Emulator.readDataDir(join(dir, "emulator")))).images, 3)
      })
  )

  it.live("fal Kontext: keyframe 0 through the text-to-image app, the edit through the edit app, 16:9 PNGs", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const { origin } = yield* childEmulator(join(dir, "emulator"))
      const g = yield* AiSdkKeyframeGenerator.make({
        model: "fal:flux-pro/kontext",
        connections: yield* offline(origin)
      })
      const k0 = yield* g.generate({
        index: 0,
        prompt: "A blue harbour",
        size: "1280x720",
        destination: join(dir, "k0")
      })
      const k1 = yield* g.generate({
        index: 1,
        prompt: "Boats leave the harbour",
        size: "1280x720",
        source: k0,
        destination: join(dir, "k1")
      })
      assert.isTrue(yield* isPng(k0))
      assert.isBelow(yield* difference(k0, k1), 25)
      assert.strictEqual((yield* Effect.promise(() => Emulator.readDataDir(join(dir, "emulator")))).images, 2)
    })
  )

  it.live("a 429 is waited out (one image); a lost answer is not asked again and says the image may be billed", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { rateLimit: { count: 1, retryAfterMs: 20 } } })
      const dir = yield* tempDir
      const g = yield* AiSdkKeyframeGenerator.make({
        model: "google:gemini-2.5-flash-image",
        connections: yield* offline(new URL(emu.baseURL).origin),
        retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 100 }
      })
      yield* g.generate({ index: 0, prompt: "a red kite", size: "1280x720", destination: join(dir, "k0") })
      assert.strictEqual(emu.stats().images.total, 1)
      emu.setFaults({ loseCreateResponse: { count: 1 } })
      const lost = yield* Effect.exit(
        g.generate({ index: 1, prompt: "a blue kite", size: "1280x720", destination: join(dir, "k1") })
      )
      assert.isTrue(Exit.isFailure(lost))
      if (Exit.isFailure(lost)) assert.match(String(lost.cause), /unavailable[\s\S]*may have been made and billed/)
      assert.strictEqual(emu.stats().images.total, 2)
    })
  )

  it.live("the layer refuses an unknown model (listing the known) and one that cannot edit", () =>
    Effect.gen(function* () {
      const build = (model: string) =>
        Effect.exit(Layer.build(AiSdkKeyframeGenerator.layer({ model })).pipe(Effect.scoped))
      const unknown = yield* build("google:imagen-4.0-generate-001")
      assert.match(String(Exit.isFailure(unknown) && unknown.cause), /google:gemini-2\.5-flash-image/)
      const textOnly = yield* build("fal:flux-pro/kontext/text-to-image")
      assert.match(String(Exit.isFailure(textOnly) && textOnly.cause), /edits an input image/)
    })
  )
})
