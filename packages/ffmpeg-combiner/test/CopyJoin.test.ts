/** The in-process join: sample tables copied under one new header, media bytes copied as whole ranges. */
import { statSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { Combiner, Transition } from "@longsora/core"
import { Effect } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as Mp4 from "../src/internal/mp4/index.ts"
import { decodeGray, ffmpeg, makeClip, tempDir } from "./fixtures.ts"
import {
  assertAudioInSync,
  assertBeepsInSync,
  assertFramesExact,
  decodesCleanly,
  FRAMES,
  H,
  samplesWithParameterSets,
  TIMEOUT,
  useChain,
  W
} from "./joinFixture.ts"

// No B-frames: decode order is display order, so a segment's last frame can be dropped by copy.
const { state, join, noLeftovers } = useChain("copy-join", { bframes: 0 })

layer(FfmpegServices.layer(), { excludeTestServices: true })("CopyJoin through the combiner", (it) => {
  it.effect(
    "Cut without B-frames drops each segment's last frame by copy: every kept frame bit-exact, audio in sync",
    () =>
      Effect.gen(function* () {
        const result = yield* join(state.chain, "cut.mp4", Transition.cut)
        assert.strictEqual(result.method, "copy-cut")
        // Segments 1 and 2 without their last frame (segment k+1 opens on it), segment 3 whole.
        const expected = [...state.decoded[0]!.slice(0, -1), ...state.decoded[1]!.slice(0, -1), ...state.decoded[2]!]
        assert.strictEqual(expected.length, 3 * FRAMES - 2)
        assertFramesExact(result.path, expected)
        assert.closeTo(result.seconds, (3 * FRAMES - 2) / 30, 1e-3)
        decodesCleanly(result.path)
        assertAudioInSync(result.path)
        assertBeepsInSync(result.path, state.chain, true)
        noLeftovers()
      }),
    TIMEOUT
  )

  it.effect(
    "KeepDuplicate copies every frame; the output holds the segments' bytes plus a small header",
    () =>
      Effect.gen(function* () {
        const result = yield* join(state.chain, "copy.mp4", Transition.keepDuplicate)
        assert.strictEqual(result.method, "copy")
        assertFramesExact(result.path, state.decoded.flat())
        decodesCleanly(result.path)
        assertAudioInSync(result.path)
        assertBeepsInSync(result.path, state.chain, false)
        const inputs = state.chain.reduce((sum, path) => sum + statSync(path).size, 0)
        assert.isBelow(statSync(result.path).size, inputs)
        assert.isAbove(statSync(result.path).size, inputs * 0.9)
      }),
    TIMEOUT
  )
})

describe("CopyJoin of separately encoded segments", () => {
  const { dir, cleanup } = tempDir("copy-switch")
  layer(FfmpegServices.layer(), { excludeTestServices: true })("through the combiner", (it) => {
    it.effect(
      "segments with other SPS/PPS are copied too, each switching its parameter sets in-band where it starts",
      () =>
        Effect.gen(function* () {
          // Three encodes at other rate factors: x264 writes another initial QP into each picture parameter set.
          const clips = [20, 26, 32].map((crf, k) =>
            makeClip(NodePath.join(dir, `crf${crf}.mp4`), {
              frames: FRAMES,
              startFrame: k * (FRAMES - 1),
              gop: 24,
              bframes: 0,
              crf
            })
          )
          const combiner = yield* Combiner.Combiner
          const destination = NodePath.join(dir, "switched.mp4")
          const result = yield* combiner.join({ segments: clips, destination, transition: Transition.cut })
          assert.strictEqual(result.method, "copy-cut")
          const decoded = clips.map((clip) => decodeGray(clip, W, H))
          assertFramesExact(destination, [...decoded[0]!.slice(0, -1), ...decoded[1]!.slice(0, -1), ...decoded[2]!])
          decodesCleanly(destination)
          assertBeepsInSync(destination, clips, true)
          assert.deepStrictEqual(yield* Effect.promise(() => samplesWithParameterSets(destination)), [
            FRAMES - 1,
            2 * FRAMES - 2
          ])
          cleanup()
        }),
      TIMEOUT
    )
  })
})

describe("the in-process copy plan (Mp4.planCopy)", () => {
  const { dir, cleanup } = tempDir("copy-plan")
  const clip = (name: string, options: Parameters<typeof makeClip>[1]) => makeClip(NodePath.join(dir, name), options)
  const movies = (paths: ReadonlyArray<string>) => Promise.all(paths.map(async (path) => (await Mp4.readMovie(path))!))

  it(
    "keeps B-frame segments whole, and refuses to cut them by copy (their last frame is referenced)",
    async () => {
      const paths = [clip("b1.mp4", { frames: 30 }), clip("b2.mp4", { frames: 30, startFrame: 29 })]
      const read = await movies(paths)
      const plan = Mp4.planCopy(read, false)
      assert.isTrue(typeof plan !== "string", String(plan))
      if (typeof plan !== "string") assert.strictEqual(plan.frames, 60)
      assert.strictEqual(Mp4.planCopy(read, true), "B-frames: the last frame is referenced")
    },
    TIMEOUT
  )

  it(
    "names what stops it: other codec parameters, audio shorter than the video, missing audio",
    async () => {
      const base = clip("base.mp4", { frames: 30, bframes: 0 })
      const bigger = clip("bigger.mp4", { frames: 30, bframes: 0, size: "640x360" })
      const noAudio = clip("silent.mp4", { frames: 30, bframes: 0, audio: false })
      const shortAudio = NodePath.join(dir, "short-audio.mp4")
      // 0.5 s of audio under 1 s of video.
      ffmpeg(["-i", base, "-c:v", "copy", "-c:a", "aac", "-af", "atrim=0:0.5", "-movflags", "+faststart", shortAudio])
      assert.strictEqual(Mp4.planCopy(await movies([base, bigger]), true), "segments differ in video codec parameters")
      assert.strictEqual(Mp4.planCopy(await movies([base, noAudio]), true), "segments order their tracks differently")
      assert.strictEqual(
        Mp4.planCopy(await movies([base, shortAudio]), true),
        "a segment's audio is shorter than its video"
      )
      assert.match(String(await Mp4.readSegments([base, NodePath.join(dir, "missing.mp4")])), /segment 2 is not an MP4/)
      cleanup()
    },
    TIMEOUT
  )
})
