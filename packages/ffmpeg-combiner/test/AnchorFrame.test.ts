import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Anchor } from "@longsora/core"
import { Effect } from "effect"
import { afterAll } from "vitest"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import { decodeGray, ffmpeg, meanDifference, streamDurations, tempDir } from "./fixtures.ts"

const { dir, cleanup } = tempDir("anchor")
afterAll(cleanup)

const FRAMES = 90
const W = 320
const H = 180

/** A 3 s clip (no B-frames, a keyframe a second) whose final half second is spoilt by `ending`. */
const clip = (name: string, ending: string | undefined) => {
  const path = NodePath.join(dir, name)
  ffmpeg([
    ...["-f", "lavfi", "-i", `testsrc2=size=${W}x${H}:rate=30,trim=end_frame=${FRAMES}${ending ? `,${ending}` : ""}`],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3"],
    ...["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-shortest", "-movflags", "+faststart", path]
  ])
  return path
}

/** The MD5 of every video packet, as stored (a copy keeps them). */
const packetHashes = (path: string) =>
  ffmpeg(["-i", path, "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"])
    .toString()
    .split("\n")
    .filter((line) => /^\d/.test(line))
    .map((line) => line.split(",").at(-1)!.trim())

const pick = (video: string, name: string) =>
  Effect.gen(function* () {
    const picker = yield* Anchor.AnchorPicker
    return yield* picker.pick(video, {
      size: `${W}x${H}`,
      destination: NodePath.join(dir, `${name}.png`),
      trimmedDestination: NodePath.join(dir, `${name}_trimmed.mp4`)
    })
  })

layer(FfmpegServices.layer(), { excludeTestServices: true })("AnchorFrame", (it) => {
  it.effect(
    "a clip ending in a fade gets the frame before the fade, and a trimmed copy whose packets are the clip's own",
    () =>
      Effect.gen(function* () {
        const video = clip("fade.mp4", `fade=t=out:start_frame=${FRAMES - 15}:nb_frames=15`)
        const { image, choice } = yield* pick(video, "fade")
        assert.strictEqual(choice.frames, FRAMES)
        // The fade's first frame is still at full level; the 14 after it darken.
        assert.strictEqual(choice.frame, FRAMES - 15)
        assert.match(choice.reason, /fade/)
        assert.closeTo(choice.seconds, (FRAMES - 14) / 30, 1e-6)
        assert.isDefined(choice.trimmed)
        // Exact seam: the trimmed copy is the clip's first packets, byte for byte, and nothing after them.
        const original = packetHashes(video)
        const trimmed = packetHashes(choice.trimmed!)
        assert.deepStrictEqual(trimmed, original.slice(0, FRAMES - 14))
        // Its sound reaches past the picture's end, so no seam is left with a gap.
        const lengths = streamDurations(choice.trimmed!)
        assert.isAtLeast(lengths.audio, lengths.video)
        // The anchor image is the chosen frame.
        const frames = decodeGray(video, W, H)
        const [anchor] = decodeGray(image.path, W, H)
        assert.isBelow(meanDifference(anchor!, frames[choice.frame]!), 1.5)
        assert.isAbove(meanDifference(anchor!, frames[FRAMES - 1]!), 20)
      }),
    60_000
  )

  it.effect(
    "a clip that ends well keeps its last frame, untrimmed; a freeze is cut at its first frame",
    () =>
      Effect.gen(function* () {
        const good = yield* pick(clip("good.mp4", undefined), "good")
        assert.strictEqual(good.choice.frame, FRAMES - 1)
        assert.isUndefined(good.choice.trimmed)
        const frozen = yield* pick(
          clip("freeze.mp4", `trim=end_frame=${FRAMES - 15},tpad=stop=15:stop_mode=clone`),
          "freeze"
        )
        assert.strictEqual(frozen.choice.frame, FRAMES - 16)
        assert.match(frozen.choice.reason, /freeze/)
      }),
    60_000
  )
})
