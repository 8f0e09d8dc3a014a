/**
 * The capability table as data: every built-in number has a source, the solver splits with it
 * (Veo's 4/6/8 s: 24 s / 3 → 8+8+8), users override or add models through options, env JSON or a
 * file, and an unknown model is an error that lists the known ones and how to declare one.
 */
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { DurationSolver } from "@longsora/core"
import { ConfigProvider, Effect, Result } from "effect"
import * as Providers from "../src/Providers.ts"
import * as VideoModels from "../src/VideoModels.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

describe("VideoModels", () => {
  it("covers Veo 3.1 and Fast (Gemini API and Vertex), Kling, Wan, Seedance, Hailuo on fal and Grok Imagine, each value sourced", () => {
    const ids = VideoModels.builtIn.map((entry) => entry.model)
    for (const expected of [
      "google:veo-3.1-generate-preview",
      "google:veo-3.1-fast-generate-preview",
      "vertex:veo-3.1-generate-001",
      "vertex:veo-3.1-fast-generate-001",
      "xai:grok-imagine-video"
    ]) {
      assert.include(ids, expected)
    }
    for (const family of ["kling", "wan", "seedance", "hailuo"]) {
      assert.isTrue(
        ids.some((id) => id.startsWith("fal:") && id.includes(family)),
        family
      )
    }
    for (const entry of VideoModels.builtIn) {
      for (const field of ["clipLengths", "sizes", "usdPerSecond", "firstFrame", "audio", "maxPromptLength"]) {
        assert.isString(entry.sources?.[field], `${entry.model}: source of ${field}`)
      }
    }
  })

  it("the solver uses the table: Veo 24 s / 3 → 8+8+8", () => {
    const veo = VideoModels.table().get("google:veo-3.1-generate-preview")!
    const split = DurationSolver.solve({ seconds: 24, count: 3, clipLengths: veo.clipLengths })
    assert.deepStrictEqual(Result.getOrThrow(split), [8, 8, 8])
  })

  it("an unknown model lists the known ones and says how to declare one", () => {
    const error = VideoModels.unknownModel("fal:some/new-app", [...VideoModels.table().keys()])
    assert.include(error.message, "google:veo-3.1-generate-preview")
    assert.include(error.message, "LONGSORA_VIDEO_MODELS")
  })

  it.effect("entries from a file and from env JSON override and extend the table, the env last", () =>
    Effect.gen(function* () {
      const file = join(tmpdir(), `models-${process.pid}.json`)
      const declared = (model: string, seconds: ReadonlyArray<number>, usd: number) => ({
        model,
        clipLengths: { _tag: "ClipLengthSet", seconds },
        sizes: [{ size: "1280x720", usdPerSecond: usd }],
        firstFrameImage: true,
        maxPromptLength: 1000,
        maxConcurrentJobs: 1
      })
      writeFileSync(
        file,
        JSON.stringify([declared("fal:new/app", [3, 6], 0.2), declared("google:veo-3.1-generate-preview", [8], 0.5)])
      )
      const models = yield* VideoModels.modelsFromEnv.pipe(
        withEnv({
          LONGSORA_VIDEO_MODELS_FILE: file,
          LONGSORA_VIDEO_MODELS: JSON.stringify([declared("google:veo-3.1-generate-preview", [4, 8], 0.6)])
        })
      )
      const table = VideoModels.table(models)
      assert.deepStrictEqual(table.get("fal:new/app")?.clipLengths, { _tag: "ClipLengthSet", seconds: [3, 6] })
      assert.strictEqual(table.get("google:veo-3.1-generate-preview")?.sizes[0].usdPerSecond, 0.6)
    })
  )

  it.effect("a malformed declaration is an InvalidRequest naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(VideoModels.modelsFromEnv.pipe(withEnv({ LONGSORA_VIDEO_MODELS: "[{}]" })))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "LONGSORA_VIDEO_MODELS")
    })
  )
})

describe("Providers", () => {
  it("reads provider-prefixed ids as the AI SDK registry writes them; bare ids stay OpenAI-protocol", () => {
    assert.strictEqual(
      Providers.parseModelId("google:veo-3.1-generate-preview")?.provider.packageName,
      "@ai-sdk/google"
    )
    assert.strictEqual(
      Providers.parseModelId("fal:kling-video/v2.1/pro/image-to-video")?.modelId,
      "kling-video/v2.1/pro/image-to-video"
    )
    assert.strictEqual(Providers.parseModelId("google-vertex:veo-3.1-generate-001")?.provider.id, "vertex")
    assert.isUndefined(Providers.parseModelId("sora-2"))
    assert.isUndefined(Providers.parseModelId("gpt-5"))
  })

  it("moves fal's fixed queue origin to a configured base URL", () => {
    const fal = Providers.parseModelId("fal:x")!.provider
    assert.strictEqual(
      Providers.rewriteUrl(
        "https://queue.fal.run/fal-ai/x/requests/1",
        fal.fixedOrigins,
        "http://127.0.0.1:9/fal/queue"
      ),
      "http://127.0.0.1:9/fal/queue/fal-ai/x/requests/1"
    )
  })

  it.effect("a provider package that is not installed is a MissingDependency naming the install command", () =>
    Effect.gen(function* () {
      const missing = { ...Providers.parseModelId("fal:x")!.provider, packageName: "@ai-sdk/not-installed-here" }
      const error = yield* Effect.flip(Providers.load(missing))
      assert.strictEqual(error._tag, "MissingDependency")
      assert.include(error.fix, "npm install @ai-sdk/not-installed-here")
    })
  )
})
