import { existsSync, readdirSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Transition } from "@longsora/core"
import { Effect, Fiber } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as SeamQuality from "../src/SeamQuality.ts"
import { decodeGray, meanDifference } from "./fixtures.ts"
import {
  assertAudioInSync,
  assertBeepsInSync,
  assertFramesExact,
  FRAMES,
  H,
  TIMEOUT,
  useChain,
  W
} from "./joinFixture.ts"

const { state, join, noLeftovers } = useChain("join")
const dir = state.dir

layer(FfmpegServices.layer(), { excludeTestServices: true })("FfmpegCombiner", (it) => {
  it.effect(
    "Cut (default) smart-cuts: no duplicate at a seam, every other frame kept, copied frames bit-exact",
    () =>
      Effect.gen(function* () {
        const result = yield* join(state.chain, "cut.mp4", Transition.cut)
        assert.strictEqual(result.method, "smart-cut")
        const output = decodeGray(result.path, W, H)
        // Segment 1 whole, then each later segment without its first frame (the previous segment's last).
        const expected = [...state.decoded[0]!, ...state.decoded[1]!.slice(1), ...state.decoded[2]!.slice(1)]
        assert.strictEqual(output.length, 3 * FRAMES - 2)
        assert.closeTo(result.seconds, (3 * FRAMES - 2) / 30, 1e-3)
        const exact = output.map((frame, i) => frame.equals(expected[i]!))
        for (const [i, frame] of output.entries()) {
          // Frames 1–23 of segments 2 and 3 are re-encoded: near-equal; everything else is copied: identical.
          const k = i < FRAMES ? 0 : Math.floor((i - FRAMES) / (FRAMES - 1)) + 1
          const inSegment = k === 0 ? i : ((i - FRAMES) % (FRAMES - 1)) + 1
          if (k > 0 && inSegment < 24) assert.isBelow(meanDifference(frame, expected[i]!), 2, `re-encoded frame ${i}`)
          else assert.isTrue(exact[i], `copied frame ${i} differs`)
        }
        // Consecutive output frames always differ: a duplicated seam frame would show up here.
        for (let i = 1; i < output.length; i++)
          assert.isAbove(meanDifference(output[i]!, output[i - 1]!), 0.5, `frame ${i}`)
        assertAudioInSync(result.path)
        assertBeepsInSync(result.path, state.chain, true)
        noLeftovers()
        // The seams now look like any other frame step.
        const report = yield* SeamQuality.measure(result.path, [FRAMES / 30, (FRAMES - 1) / 30, (FRAMES - 1) / 30])
        assert.deepStrictEqual(
          report.seams.map((seam) => seam.frame),
          [FRAMES, 2 * FRAMES - 1]
        )
        for (const seam of report.seams) assert.closeTo(seam.ssimRatio, 1, 0.05)
      }),
    TIMEOUT
  )

  it.effect(
    "KeepDuplicate is a pure stream copy: every frame of every segment, bit-exact",
    () =>
      Effect.gen(function* () {
        const result = yield* join(state.chain, "copy.mp4", Transition.keepDuplicate)
        assert.strictEqual(result.method, "copy")
        assertFramesExact(result.path, state.decoded.flat())
        assert.closeTo(result.seconds, (3 * FRAMES) / 30, 1e-3)
        assertAudioInSync(result.path)
        assertBeepsInSync(result.path, state.chain, false)
      }),
    TIMEOUT
  )

  it.effect(
    "an interrupted join leaves no output file and no temporary files",
    () =>
      Effect.gen(function* () {
        const destination = NodePath.join(dir, "interrupted.mp4")
        const fiber = yield* Effect.forkChild(
          join([...state.chain, ...state.chain], "interrupted.mp4", Transition.crossfade(0.2))
        )
        // Interrupt once the work directory exists, i.e. while ffmpeg is writing.
        while (!readdirSync(dir).some((f) => f.startsWith(".longsora-join-"))) yield* Effect.sleep("20 millis")
        yield* Effect.sleep("200 millis")
        yield* Fiber.interrupt(fiber)
        assert.isFalse(existsSync(destination))
        noLeftovers()
      }),
    TIMEOUT
  )

  it.effect(
    "fails with CombineError, and writes nothing, when a segment is missing",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          join([state.chain[0]!, NodePath.join(dir, "missing.mp4")], "broken.mp4", Transition.cut)
        )
        assert.strictEqual(error._tag, "CombineError")
        assert.isFalse(existsSync(NodePath.join(dir, "broken.mp4")))
        noLeftovers()
      }),
    TIMEOUT
  )
})
