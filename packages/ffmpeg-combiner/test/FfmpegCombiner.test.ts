import { existsSync, readdirSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Combiner, Transition } from "@longsora/core"
import { Effect, Fiber } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as SeamQuality from "../src/SeamQuality.ts"
import { decodeGray, ffmpegStderr, makeChain, makeClip, meanDifference, streamDurations, tempDir } from "./fixtures.ts"

/** ffmpeg on two shared cores: generous, the clips are tiny. */
const TIMEOUT = 40_000
const { dir, cleanup } = tempDir("join")
const W = 320
const H = 180
const FRAMES = 60
let chain: ReadonlyArray<string> = []
let decoded: ReadonlyArray<ReadonlyArray<Buffer>> = []

beforeAll(() => {
  // GOP 24 with 60 frames: each later segment has keyframes at 24 and 48, so the smart cut re-encodes frames 1–23.
  chain = makeChain(dir, 3, { frames: FRAMES, gop: 24 })
  decoded = chain.map((clip) => decodeGray(clip, W, H))
}, 120_000)
afterAll(cleanup)

const join = (segments: ReadonlyArray<string>, name: string, transition: Transition.Transition) =>
  Effect.gen(function* () {
    const combiner = yield* Combiner.Combiner
    return yield* combiner.join({ segments, destination: NodePath.join(dir, name), transition })
  })

const assertAudioInSync = (path: string) => {
  const { video, audio } = streamDurations(path)
  assert.isBelow(Math.abs(video - audio), 1 / 30, `audio ${audio} s vs video ${video} s`)
}

const noLeftovers = () =>
  assert.deepStrictEqual(
    readdirSync(dir).filter((f) => f.startsWith(".")),
    []
  )

layer(FfmpegServices.layer(), { excludeTestServices: true })("FfmpegCombiner", (it) => {
  it.effect(
    "Cut (default) smart-cuts: no duplicate at a seam, every other frame kept, copied frames bit-exact",
    () =>
      Effect.gen(function* () {
        const result = yield* join(chain, "cut.mp4", Transition.cut)
        assert.strictEqual(result.method, "smart-cut")
        const output = decodeGray(result.path, W, H)
        // Segment 1 whole, then each later segment without its first frame (the previous segment's last).
        const expected = [...decoded[0]!, ...decoded[1]!.slice(1), ...decoded[2]!.slice(1)]
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
        const result = yield* join(chain, "copy.mp4", Transition.keepDuplicate)
        assert.strictEqual(result.method, "copy")
        const output = decodeGray(result.path, W, H)
        const expected = decoded.flat()
        assert.strictEqual(output.length, expected.length)
        for (const [i, frame] of output.entries()) assert.isTrue(frame.equals(expected[i]!), `frame ${i} differs`)
        assert.closeTo(result.seconds, (3 * FRAMES) / 30, 1e-3)
        assertAudioInSync(result.path)
      }),
    TIMEOUT
  )

  it.effect(
    "re-encodes when segments differ (size, missing audio), keeping frame counts and silence in sync",
    () =>
      Effect.gen(function* () {
        const small = makeClip(NodePath.join(dir, "small.mp4"), {
          startFrame: FRAMES - 1,
          frames: 30,
          size: "160x90",
          audio: false
        })
        // A relative destination must work too.
        const destination = NodePath.relative(process.cwd(), NodePath.join(dir, "nested", "mixed.mp4"))
        const combiner = yield* Combiner.Combiner
        const result = yield* combiner.join({ segments: [chain[0]!, small], destination, transition: Transition.cut })
        assert.strictEqual(result.method, "reencode")
        assert.strictEqual(result.path, NodePath.resolve(destination))
        const output = decodeGray(result.path, W, H)
        assert.strictEqual(output.length, FRAMES + 29)
        assert.isBelow(meanDifference(output[0]!, decoded[0]![0]!), 3)
        assertAudioInSync(result.path)
      }),
    TIMEOUT
  )

  it.effect(
    "a segment without audio gets silence of its exact length while the video is still smart-cut",
    () =>
      Effect.gen(function* () {
        const silent = makeClip(NodePath.join(dir, "silent.mp4"), {
          startFrame: FRAMES - 1,
          frames: FRAMES,
          gop: 24,
          audio: false
        })
        const result = yield* join([chain[0]!, silent], "silent-join.mp4", Transition.cut)
        assert.strictEqual(result.method, "smart-cut")
        assert.strictEqual(decodeGray(result.path, W, H).length, 2 * FRAMES - 1)
        assertAudioInSync(result.path)
        // The second half is silent: its loudest sample is far below the sine of the first half.
        const volume = (start: number) =>
          /max_volume: (\S+) dB/.exec(
            ffmpegStderr(["-ss", String(start), "-t", "1", "-i", result.path, "-af", "volumedetect", "-f", "null", "-"])
          )?.[1]
        assert.isAbove(Number(volume(0.5)), -30)
        assert.isBelow(Number(volume(2.5)), -80)
      }),
    TIMEOUT
  )

  it.effect(
    "Crossfade blends each seam over the given seconds",
    () =>
      Effect.gen(function* () {
        const result = yield* join(chain.slice(0, 2), "fade.mp4", Transition.crossfade(0.5))
        assert.strictEqual(result.method, "crossfade")
        assert.strictEqual(decodeGray(result.path, W, H).length, 2 * FRAMES - 15)
        assertAudioInSync(result.path)
      }),
    TIMEOUT
  )

  it.effect(
    "an interrupted join leaves no output file and no temporary files",
    () =>
      Effect.gen(function* () {
        const destination = NodePath.join(dir, "interrupted.mp4")
        const fiber = yield* Effect.forkChild(join([...chain, ...chain], "interrupted.mp4", Transition.crossfade(0.2)))
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
          join([chain[0]!, NodePath.join(dir, "missing.mp4")], "broken.mp4", Transition.cut)
        )
        assert.strictEqual(error._tag, "CombineError")
        assert.isFalse(existsSync(NodePath.join(dir, "broken.mp4")))
        noLeftovers()
      }),
    TIMEOUT
  )
})
