/** The windowed crossfade: only the fades and the GOPs after them re-encoded, everything else copied bit-exact. */
import { assert, layer } from "@effect/vitest"
import { Transition } from "@longsora/core"
import { Effect } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import { decodeGray, ffmpeg, meanDifference } from "./fixtures.ts"
import { assertAudioInSync, FRAMES, H, TIMEOUT, useChain, W } from "./joinFixture.ts"

// No B-frames (the copies stop where a fade starts), a keyframe every 24 frames.
const { state, join, noLeftovers } = useChain("crossfade-windows", { bframes: 0 })
const FADE = 6

/** The same crossfade as one full `xfade` pass, decoded without any encode: the reference for every frame. */
const reference = () => {
  const seconds = FRAMES / 30
  const fade = FADE / 30
  const graph = [
    `[0:v][1:v]xfade=transition=fade:duration=${fade}:offset=${seconds - fade}[x]`,
    `[x][2:v]xfade=transition=fade:duration=${fade}:offset=${2 * seconds - 2 * fade}[v]`
  ].join(";")
  const raw = ffmpeg([
    ...state.chain.flatMap((clip) => ["-i", clip]),
    ...["-filter_complex", graph, "-map", "[v]", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
  ])
  return Array.from({ length: raw.length / (W * H) }, (_, i) => raw.subarray(i * W * H, (i + 1) * W * H))
}

layer(FfmpegServices.layer(), { excludeTestServices: true })("CrossfadeWindows through the combiner", (it) => {
  it.effect(
    "re-encodes only each fade and the rest of the next segment's first GOP; copied frames are the sources' own",
    () =>
      Effect.gen(function* () {
        const result = yield* join(state.chain, "crossfade.mp4", Transition.crossfade(FADE / 30))
        assert.strictEqual(result.method, "crossfade")
        const output = decodeGray(result.path, W, H)
        const expected = reference()
        assert.strictEqual(output.length, 3 * FRAMES - 2 * FADE)
        assert.strictEqual(expected.length, output.length)
        // Windows: segment k's last FADE frames blended into k+1's first ones, then k+1's frames up to its keyframe 24.
        const windowLength = FADE + (24 - FADE)
        const windows = [FRAMES - FADE, FRAMES - FADE + windowLength + (FRAMES - FADE - 24)]
        const inWindow = (i: number) => windows.some((start) => i >= start && i < start + windowLength)
        let reencoded = 0
        for (const [i, frame] of output.entries()) {
          if (inWindow(i)) {
            reencoded++
            assert.isBelow(meanDifference(frame, expected[i]!), 2, `re-encoded frame ${i}`)
          } else assert.isTrue(frame.equals(expected[i]!), `copied frame ${i} differs`)
        }
        assert.strictEqual(reencoded, 2 * windowLength)
        assert.closeTo(result.seconds, (3 * FRAMES - 2 * FADE) / 30, 1e-3)
        assertAudioInSync(result.path)
        noLeftovers()
      }),
    TIMEOUT
  )
})
