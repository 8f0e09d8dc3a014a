import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Combiner, Transition } from "@longsora/core"
import { Effect } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import { decodeGray, ffmpegStderr, makeClip, meanDifference } from "./fixtures.ts"
import { assertAudioInSync, FRAMES, H, TIMEOUT, useChain, W } from "./joinFixture.ts"

const { state, join } = useChain("reencode")
const dir = state.dir

layer(FfmpegServices.layer(), { excludeTestServices: true })("FfmpegCombiner: re-encoding paths", (it) => {
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
        const result = yield* combiner.join({
          segments: [state.chain[0]!, small],
          destination,
          transition: Transition.cut
        })
        assert.strictEqual(result.method, "reencode")
        assert.strictEqual(result.path, NodePath.resolve(destination))
        const output = decodeGray(result.path, W, H)
        assert.strictEqual(output.length, FRAMES + 29)
        assert.isBelow(meanDifference(output[0]!, state.decoded[0]![0]!), 3)
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
        const result = yield* join([state.chain[0]!, silent], "silent-join.mp4", Transition.cut)
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
        const result = yield* join(state.chain.slice(0, 2), "fade.mp4", Transition.crossfade(0.5))
        assert.strictEqual(result.method, "crossfade")
        assert.strictEqual(decodeGray(result.path, W, H).length, 2 * FRAMES - 15)
        assertAudioInSync(result.path)
      }),
    TIMEOUT
  )
})
