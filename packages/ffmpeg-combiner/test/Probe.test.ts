import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as FfmpegBinary from "../src/FfmpegBinary.ts"
import { videoSyncSamples } from "../src/internal/mp4/index.ts"
import * as Probe from "../src/Probe.ts"
import { makeClip, tempDir } from "./fixtures.ts"

const { dir, cleanup } = tempDir("probe")
let clip = ""
beforeAll(() => {
  clip = makeClip(NodePath.join(dir, "clip.mp4"), { frames: 60, gop: 24, size: "320x180" })
}, 60_000)
afterAll(cleanup)

const ProbeLive = Probe.layer.pipe(Layer.provide(FfmpegBinary.layer()))

layer(ProbeLive, { excludeTestServices: true })("Probe", (it) => {
  it.effect(
    "reports streams, codecs, size, frame rate, duration and counts",
    () =>
      Effect.gen(function* () {
        const info = yield* (yield* Probe.Probe).probe(clip)
        const video = info.video!
        assert.deepInclude(video, { index: 0, codec: "h264", width: 320, height: 180, fps: 30, frames: 60 })
        assert.deepInclude(video, { pixFmt: "yuv420p", frameRate: "30/1", variableFrameRate: false, hasBFrames: 2 })
        assert.closeTo(video.duration, 2, 1e-6)
        assert.deepInclude(info.audio!, { codec: "aac", sampleRate: 48000, channels: 2, startPts: 0 })
        // 2 s of 48 kHz in 1024-sample packets, rounded up, plus the priming packet.
        assert.strictEqual(info.audio!.packets, Math.ceil(96000 / 1024) + 1)
      }),
    30_000
  )

  it.effect(
    "ffprobe's keyframes and the MP4 sync-sample table agree",
    () =>
      Effect.gen(function* () {
        const pts = yield* (yield* Probe.Probe).keyframes(clip, 10)
        // Time base 1/15360 at 30 fps: 512 ticks per frame.
        assert.deepStrictEqual(
          pts.map((p) => p / 512),
          [0, 24, 48]
        )
        assert.deepStrictEqual(yield* Effect.promise(() => videoSyncSamples(clip)), [0, 24, 48])
        assert.isUndefined(yield* Effect.promise(() => videoSyncSamples(NodePath.join(dir, "missing.mp4"))))
      }),
    30_000
  )
})
