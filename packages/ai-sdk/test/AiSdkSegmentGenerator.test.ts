/**
 * The AI SDK generator through the unmodified `@ai-sdk/google`, `@ai-sdk/fal` and `@ai-sdk/xai`
 * against the emulator's Gemini, fal and xAI dialects: real clips, the operation as the recorded job id, resume by
 * a new generator (a new process's), and every fault counted in starts: none is paid twice.
 */

import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import type { SegmentGenerator } from "@longsora/core"
import { TailFirst } from "@longsora/provider-kit"
import { Effect } from "effect"
import * as AiSdkSegmentGenerator from "../src/AiSdkSegmentGenerator.ts"
import * as JobId from "../src/JobId.ts"
import * as VideoModels from "../src/VideoModels.ts"
import { emulator, ffprobe, picture, run, tempDir, viaEmulator } from "./helpers.ts"

const VEO = "google:veo-3.1-generate-preview"
const KLING = "fal:kling-video/v2.1/pro/image-to-video"
const GROK = "xai:grok-imagine-video"

const generator = (options: AiSdkSegmentGenerator.Options) => AiSdkSegmentGenerator.make(options)

const spec = (model: string, overrides: Partial<SegmentGenerator.SegmentSpec> = {}): SegmentGenerator.SegmentSpec => ({
  segment: 1,
  prompt: "a paper boat drifts down a rainy street",
  model,
  seconds: model === VEO ? 4 : 5,
  size: model === VEO ? "1280x720" : "1920x1080",
  ...overrides
})

const sha256 = (path: string) =>
  Effect.promise(async () =>
    createHash("sha256")
      .update(await readFile(path))
      .digest("hex")
  )

describe("AiSdkSegmentGenerator", { timeout: 60_000 }, () => {
  it.live("Veo over the Gemini API: one start, the operation as the job id, a real clip", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const reference = yield* picture(dir, "1280x720")
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(VEO, { reference }))
      const decoded = JobId.decode(job.id)
      assert.deepStrictEqual(Object.keys(decoded ?? {}), ["model", "operation"])
      assert.notInclude(job.id, emu.apiKey)
      const clip = yield* g.complete(job, join(dir, "segment_01.mp4"))
      const probe = yield* ffprobe(clip.path)
      assert.strictEqual(probe.streams.find((s) => s.codec_type === "video")?.width, 1280)
      assert.strictEqual(clip.sha256, yield* sha256(clip.path))
      assert.strictEqual(emu.stats().createsByDialect.gemini, 1)
    })
  )

  it.live("Veo with a last frame: @ai-sdk/google sends it as lastFrame and the clip ends exactly on it", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const reference = yield* picture(dir, "1280x720", "orange")
      const lastFrame = yield* picture(dir, "1280x720", "blue")
      const g = yield* generator(viaEmulator(emu))
      const clip = yield* Effect.flatMap(g.submit(spec(VEO, { reference, lastFrame })), (job) =>
        g.complete(job, join(dir, "segment_01.mp4"))
      )
      const last = join(dir, "last.png")
      yield* Effect.promise(() =>
        run("ffmpeg", ["-v", "error", "-y", "-sseof", "-0.2", "-i", clip.path, "-update", "1", last])
      )
      // The emulator's clip ends on the given image: blue, not the orange it opened on.
      const { stdout } = yield* Effect.promise(() =>
        run("ffprobe", [
          "-v",
          "error",
          "-f",
          "lavfi",
          `movie=${last},signalstats`,
          "-show_entries",
          "frame_tags=lavfi.signalstats.UAVG,lavfi.signalstats.VAVG",
          "-of",
          "csv=p=0"
        ])
      )
      const [u, v] = stdout.trim().split(",").map(Number)
      assert.isAbove(u!, 180)
      assert.isBelow(v!, 130)
    })
  )

  it("a fal app whose entry names its end-frame field gets the last frame there, as a data URL", () => {
    const entry = {
      ...VideoModels.table().get(KLING)!,
      lastFrameImage: true,
      wire: { duration: "string" as const, lastFrame: "tail_image_url" as const }
    }
    const png = { type: "file" as const, mediaType: "image/png", data: new Uint8Array([1, 2, 3]) }
    const options = AiSdkSegmentGenerator.callOptions(spec(KLING), entry, "fal", png, png)
    assert.deepStrictEqual(options.providerOptions.fal, { duration: "5", tail_image_url: "data:image/png;base64,AQID" })
    assert.isUndefined(options.frameImages)
    const veo = AiSdkSegmentGenerator.callOptions(spec(VEO), VideoModels.table().get(VEO)!, "google", png, png)
    assert.deepStrictEqual(veo.frameImages, [{ frameType: "last_frame", image: png }])
  })

  it.live("Veo, range-first: a preview with the clip's end before the clip, then the clip whole", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(VEO))
      const destination = join(dir, "segment_01.mp4")
      const staged = yield* g.completeEarly!(job, destination)
      assert.isDefined(staged.preview)
      const preview = yield* Effect.promise(() => readFile(staged.preview!))
      const clip = yield* staged.rest
      const whole = yield* Effect.promise(() => readFile(destination))
      // The preview is the clip's length, with the clip's header and last keyframe interval already in place.
      assert.strictEqual(preview.length, whole.length)
      const at = whole.indexOf("moov") - 4
      const moov = whole.subarray(at, at + whole.readUInt32BE(at))
      const span = TailFirst.lastKeyframeSpan(moov)!
      assert.isTrue(preview.subarray(at, at + moov.length).equals(moov))
      assert.isTrue(preview.subarray(span.start, span.end).equals(whole.subarray(span.start, span.end)))
      assert.strictEqual(clip.sha256, yield* sha256(destination))
      assert.strictEqual(emu.stats().createsByDialect.gemini, 1)
    })
  )

  it.live("Kling on fal: the queue through @ai-sdk/fal, 5 s at 1080p", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const reference = yield* picture(dir, "1920x1080")
      const g = yield* generator(viaEmulator(emu))
      const clip = yield* Effect.flatMap(g.submit(spec(KLING, { reference })), (job) =>
        g.complete(job, join(dir, "segment_01.mp4"))
      )
      const probe = yield* ffprobe(clip.path)
      assert.strictEqual(probe.streams.find((s) => s.codec_type === "video")?.height, 1080)
      assert.strictEqual(emu.stats().createsByDialect.fal, 1)
    })
  )

  it.live("a new generator (a rerun) polls the recorded operation instead of starting again", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const reference = yield* picture(dir, "1920x1080")
      const job = yield* Effect.flatMap(generator(viaEmulator(emu)), (g) => g.submit(spec(KLING, { reference })))
      const clip = yield* Effect.flatMap(generator(viaEmulator(emu)), (g) =>
        g.complete(job, join(dir, "segment_01.mp4"))
      )
      assert.strictEqual(clip.jobId, job.id)
      assert.strictEqual(emu.stats().createsByDialect.fal, 1)
    })
  )

  it.live("Grok Imagine over xAI's API: one start, {requestId} as the job id, a real portrait 720p clip", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const reference = yield* picture(dir, "720x1280")
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(GROK, { reference, seconds: 2, size: "720x1280" }))
      const decoded = JobId.decode(job.id)
      assert.strictEqual(decoded?.model, GROK)
      const operation = decoded && "operation" in decoded ? decoded.operation : undefined
      assert.deepStrictEqual(Object.keys(operation ?? {}), ["requestId"])
      assert.notInclude(job.id, emu.apiKey)
      const clip = yield* g.complete(job, join(dir, "segment_01.mp4"))
      const video = (yield* ffprobe(clip.path)).streams.find((s) => s.codec_type === "video")
      assert.deepStrictEqual([video?.width, video?.height], [720, 1280])
      assert.strictEqual(emu.stats().createsByDialect.xai, 1)
    })
  )

  it.live("Grok Imagine: a new generator (a rerun) polls the recorded request instead of starting again", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const job = yield* Effect.flatMap(generator(viaEmulator(emu)), (g) =>
        g.submit(spec(GROK, { seconds: 1, size: "854x480" }))
      )
      const clip = yield* Effect.flatMap(generator(viaEmulator(emu)), (g) =>
        g.complete(job, join(dir, "segment_01.mp4"))
      )
      assert.strictEqual(clip.jobId, job.id)
      assert.strictEqual(emu.stats().createsByDialect.xai, 1)
    })
  )

  it.live("Grok Imagine: a moderated clip is a moderation failure, a failed request a failed one; one start each", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { moderation: { count: 1 } } })
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const moderated = yield* g.submit(spec(GROK, { seconds: 1, size: "854x480" }))
      const withheld = yield* Effect.flip(g.complete(moderated, join(dir, "segment_01.mp4")))
      assert.strictEqual(withheld.kind, "moderation", withheld.message)
      assert.include(withheld.message, "content policy violation")
      emu.setFaults({ failOperation: { count: 1 } })
      const failing = yield* g.submit(spec(GROK, { segment: 2, seconds: 1, size: "854x480" }))
      const failed = yield* Effect.flip(g.complete(failing, join(dir, "segment_02.mp4")))
      assert.strictEqual(failed.kind, "failed", failed.message)
      assert.strictEqual(failed.jobId, failing.id)
      assert.strictEqual(emu.stats().createsByDialect.xai, 2)
    })
  )

  it.live("429 on start is waited out: one start", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { rateLimit: { count: 2, retryAfterMs: 20 } } })
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      yield* Effect.flatMap(g.submit(spec(VEO)), (job) => g.complete(job, join(dir, "segment_01.mp4")))
      assert.strictEqual(emu.stats().createsByDialect.gemini, 1)
    })
  )

  it.live("5xx on start is not retried (the job may exist): unavailable, no second start", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { serverErrors: { count: 1, status: 503 } } })
      const g = yield* generator(viaEmulator(emu))
      const error = yield* Effect.flip(g.submit(spec(VEO)))
      assert.strictEqual(error.kind, "unavailable")
      assert.include(error.reason, "a job may have been created")
      assert.strictEqual(emu.stats().requestsByRoute["POST /v1beta/models/{model}:predictLongRunning"] ?? 1, 1)
      assert.strictEqual(emu.stats().createsByDialect.gemini, 0)
    })
  )

  it.live("a lost start answer: one job exists, none started again; a rerun refuses to start blindly", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { loseCreateResponse: { count: 1 } } })
      const reference = yield* picture(yield* tempDir, "1920x1080")
      const g = yield* generator(viaEmulator(emu))
      const error = yield* Effect.flip(g.submit(spec(KLING, { reference })))
      assert.strictEqual(error.kind, "unavailable")
      const rerun = yield* Effect.flip(
        g.submit(spec(KLING, { reference, lostCreate: { sentAt: Date.now() - 1000, isOwned: () => false } }))
      )
      assert.include(rerun.reason, "never learnt its answer")
      assert.include(rerun.fix ?? "", "--recreate-lost")
      assert.strictEqual(emu.stats().createsByDialect.fal, 1)
    })
  )

  it.live("5xx while polling is retried; the job completes with one start", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(KLING, { reference: yield* picture(dir, "1920x1080") }))
      emu.setFaults({ serverErrors: { count: 2, status: 502 } })
      yield* g.complete(job, join(dir, "segment_01.mp4"))
      assert.strictEqual(emu.stats().createsByDialect.fal, 1)
    })
  )

  it.live("a failed operation is a failed segment, not a new start", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { failOperation: { count: 1 } } })
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(VEO))
      const error = yield* Effect.flip(g.complete(job, join(dir, "segment_01.mp4")))
      assert.include(["failed", "moderation"], error.kind)
      assert.strictEqual(error.jobId, job.id)
      assert.strictEqual(emu.stats().createsByDialect.gemini, 1)
    })
  )

  it.live("a clip withheld for its content is a moderation failure that says to rephrase: Veo's and fal's", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { moderation: { count: 2 } } })
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const veo = yield* g.submit(spec(VEO))
      const withheld = yield* Effect.flip(g.complete(veo, join(dir, "segment_01.mp4")))
      assert.strictEqual(withheld.kind, "moderation")
      assert.include(withheld.message, "safety filter withholds the clip")
      assert.include(withheld.message, "Rephrase the segment's prompt")
      const kling = yield* g.submit(spec(KLING, { reference: yield* picture(dir, "1920x1080") }))
      const flagged = yield* Effect.flip(g.complete(kling, join(dir, "segment_02.mp4")))
      assert.strictEqual(flagged.kind, "moderation", flagged.message)
      assert.include(flagged.message, "Rephrase the prompt")
    })
  )

  it.live("an expired result URL is gone, and no error text carries the key", () =>
    Effect.gen(function* () {
      const emu = yield* emulator({ faults: { expireResult: { count: 1 } } })
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const job = yield* g.submit(spec(VEO))
      const error = yield* Effect.flip(g.complete(job, join(dir, "segment_01.mp4")))
      assert.strictEqual(error.kind, "gone")
      assert.notInclude(JSON.stringify(error), emu.apiKey)
      assert.notInclude(error.message, emu.apiKey)
      assert.strictEqual(emu.stats().createsByDialect.gemini, 1)
    })
  )

  it.live("an operation the provider no longer knows is gone", () =>
    Effect.gen(function* () {
      const emu = yield* emulator()
      const dir = yield* tempDir
      const g = yield* generator(viaEmulator(emu))
      const id = JobId.encode({ model: VEO, operation: { operationName: "operations/does-not-exist" } })
      const error = yield* Effect.flip(g.complete({ segment: 1, id, seconds: 4 }, join(dir, "segment_01.mp4")))
      assert.strictEqual(error.kind, "gone")
    })
  )
})
