/**
 * `chain: extend` on Veo over the Gemini API, end to end through core's `LongVideo.generate`: the
 * planner through `@ai-sdk/openai`, the clips through `@ai-sdk/google` (and LongSora's extension
 * start), ffmpeg, and the emulator in its own process. One create and then extensions, each a
 * counted start; the output is Veo's stitched video; a rerun, finished or interrupted, pays nothing twice.
 */
import { execFileSync } from "node:child_process"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { LongVideo, type LongVideoRequest, Manifest } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { FfmpegServices } from "@longsora/ffmpeg-combiner"
import { ConfigProvider, Effect, Fiber, Layer, Redacted } from "effect"
import * as AiSdkPlanner from "../src/AiSdkPlanner.ts"
import * as AiSdkSegmentGenerator from "../src/AiSdkSegmentGenerator.ts"
import { childEmulator, fastPolling, tempDir } from "./helpers.ts"

const VEO = "google:veo-3.1-generate-preview"

/** Every service of a run, pointed at the emulator at `origin`. */
const services = (origin: string, stateDir: string) => {
  const key = Redacted.make("sk-emulator")
  return Layer.mergeAll(
    AiSdkSegmentGenerator.layer({
      connections: { google: { apiKey: key, baseURL: `${origin}/v1beta` } },
      polling: fastPolling
    }),
    AiSdkPlanner.layer({ connections: { openai: { apiKey: key, baseURL: `${origin}/v1` } } }),
    FfmpegServices.layer(),
    NodeServices.layer
  ).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ LONGSORA_STATE_DIR: stateDir }))))
}

const request = (outputDir: string) =>
  ({
    prompt: "A paper boat drifts down a rain-soaked street.",
    model: VEO,
    seconds: 22,
    numGenerations: 3,
    planModel: "openai:gpt-5",
    outputDir,
    saveSegments: true,
    chain: "extend"
  }) as LongVideoRequest.LongVideoRequest

const duration = (file: string) =>
  Number(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]))

const creates = (dataDir: string) => Effect.promise(async () => (await Emulator.readDataDir(dataDir)).creates)

/** The segments the manifest has a job for. */
const recordedJobs = (outputDir: string) =>
  Effect.promise(async () => {
    try {
      const text = await readFile(join(outputDir, Manifest.directoryName, Manifest.fileName), "utf8")
      return (JSON.parse(text) as { segments: Array<{ jobId?: string }> }).segments.filter((s) => s.jobId).length
    } catch {
      return 0
    }
  })

describe("chain extend on Veo (Gemini API)", { timeout: 120_000 }, () => {
  it.live("22 s in 3 segments: 8 s created, +7 s twice extended, Veo's stitched video; a rerun creates nothing", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const dataDir = join(dir, "emulator")
      const { origin } = yield* childEmulator(dataDir)
      const layer = services(origin, join(dir, "state"))
      const result = yield* LongVideo.generate(request(join(dir, "out"))).pipe(Effect.provide(layer))
      assert.deepStrictEqual(result.durations, [8, 7, 7])
      assert.strictEqual(result.secondsBilled, 22)
      assert.strictEqual(result.joinMethod, "provider")
      assert.closeTo(duration(result.output), 22, 0.2)
      assert.strictEqual(yield* creates(dataDir), 3)

      const again = yield* LongVideo.generate(request(join(dir, "out"))).pipe(Effect.provide(layer))
      assert.strictEqual(again.output, result.output)
      assert.strictEqual(yield* creates(dataDir), 3)
    })
  )

  it.live("interrupted once the first extension is recorded, the rerun polls it: 3 starts in all", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const dataDir = join(dir, "emulator")
      const output = join(dir, "out")
      const { origin } = yield* childEmulator(dataDir)
      const layer = services(origin, join(dir, "state"))
      const first = yield* Effect.forkChild(LongVideo.generate(request(output)).pipe(Effect.provide(layer)))
      while ((yield* recordedJobs(output)) < 2) {
        assert.isUndefined(first.pollUnsafe(), "the first run ended before its extension was recorded")
        yield* Effect.sleep("20 millis")
      }
      yield* Fiber.interrupt(first)
      assert.strictEqual(yield* creates(dataDir), 2)
      const result = yield* LongVideo.generate(request(output)).pipe(Effect.provide(layer))
      assert.closeTo(duration(result.output), 22, 0.2)
      assert.strictEqual(yield* creates(dataDir), 3)
    })
  )
})
