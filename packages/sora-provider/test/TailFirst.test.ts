/**
 * `completeEarly` against the emulator (which answers Range as a CDN does), on a throttled download: the clip's
 * last frame is read from the preview before the clip has arrived, and it is the whole clip's last frame.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { FrameExtractor, SegmentGenerator } from "@longsora/core"
import { FfmpegFrameExtractor } from "@longsora/ffmpeg-combiner"
import { Effect } from "effect"
import { vi } from "vitest"
import { generatorLayer, provide, spec, useEmulator } from "./helpers.ts"

vi.setConfig({ testTimeout: 60_000 })

// A 4 s clip of the emulator is a few hundred kB: at 300 kB/s the whole download takes about a second or more.
const env = useEmulator({ faults: { slowDownload: { bytesPerSecond: 300_000 } } })

describe("SoraSegmentGenerator.completeEarly", () => {
  it.live("the last frame from the preview is the whole clip's, and is there before the clip", () =>
    Effect.gen(function* () {
      const generator = yield* SegmentGenerator.SegmentGenerator
      const extractor = yield* FrameExtractor.FrameExtractor
      const destination = join(env.dir(), "early.mp4")
      const job = yield* generator.submit(spec({ seconds: 8 }))
      const staged = yield* generator.completeEarly!(job, destination)
      assert.isDefined(staged.preview)
      const early = yield* extractor.lastFrame(staged.preview!, {
        size: "1280x720",
        destination: join(env.dir(), "early.png")
      })
      // Still downloading: the destination appears only whole.
      assert.isFalse(existsSync(destination))
      const clip = yield* staged.rest
      assert.strictEqual(clip.path, destination)
      assert.strictEqual(env.emu().stats().creates, 1)
      const whole = yield* extractor.lastFrame(destination, {
        size: "1280x720",
        destination: join(env.dir(), "whole.png")
      })
      assert.isTrue(readFileSync(early.path).equals(readFileSync(whole.path)))
    }).pipe(Effect.provide(FfmpegFrameExtractor.layer()), (effect) => provide(effect, generatorLayer(env.emu())))
  )
})
