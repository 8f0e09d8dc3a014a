import { copyFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { AudioSeam, Combiner, Transition } from "@longsora/core"
import { Effect } from "effect"
import { afterAll, describe, it } from "vitest"
import * as AudioStep from "../src/AudioStep.ts"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import { ffmpeg, streamDurations, tempDir } from "./fixtures.ts"

const { dir, cleanup } = tempDir("audio-seam")
afterAll(cleanup)

const FRAMES = 60

/** Segment `k` of one continuous picture (it opens on the previous one's last frame) with its own tone. */
const segment = (k: number, frequency: number) => {
  const path = NodePath.join(dir, `segment_${k}.mp4`)
  const start = k * (FRAMES - 1)
  ffmpeg([
    ...["-f", "lavfi", "-i", `testsrc2=size=320x180:rate=30,trim=start_frame=${start}:end_frame=${start + FRAMES}`],
    ...["-f", "lavfi", "-i", `sine=frequency=${frequency}:sample_rate=48000:duration=2`],
    ...["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-ac", "2", "-shortest", "-movflags", "+faststart", path]
  ])
  return path
}

const packetHashes = (path: string) =>
  ffmpeg(["-i", path, "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"])
    .toString()
    .split("\n")
    .filter((line) => /^\d/.test(line))
    .map((line) => line.split(",").at(-1)!.trim())

/** `seconds` of a sine at `frequency`, from phase `phase`. */
const tone = (frequency: number, seconds: number, phase = 0) =>
  Float32Array.from(
    { length: seconds * AudioStep.sampleRate },
    (_, n) => Math.sin(phase + (2 * Math.PI * frequency * n) / AudioStep.sampleRate) * 0.25
  )

describe("AudioStep", () => {
  it("finds the click of a cut between two tones, and none in their blend", () => {
    const a = tone(440, 1)
    const b = tone(1000, 1, Math.PI / 2)
    const cut = new Float32Array([...a, ...b])
    const [hard] = AudioStep.measureSamples(cut, [1])
    assert.isAbove(hard!.click, 3)
    assert.isFalse(hard!.withinBaseline)
    // A 30 ms equal-power crossfade ending at the seam, the later tone starting 30 ms early.
    const window = 0.03 * AudioStep.sampleRate
    const early = tone(1000, 1, Math.PI / 2 - (2 * Math.PI * 1000 * window) / AudioStep.sampleRate)
    const blended = Float32Array.from(cut, (value, n) => {
      const into = n - (AudioStep.sampleRate - window)
      if (into < 0 || into >= window) return value
      const x = into / window
      return a[n]! * Math.cos((x * Math.PI) / 2) + early[into]! * Math.sin((x * Math.PI) / 2)
    })
    const [soft] = AudioStep.measureSamples(blended, [1])
    assert.isTrue(soft!.withinBaseline, `click ${soft!.click}`)
  })
})

layer(FfmpegServices.layer(), { excludeTestServices: true })("AudioSeam", (it) => {
  it.effect(
    "two clips with different tones: no click at the blended seam, the later tone on its picture, video packets unchanged",
    () =>
      Effect.gen(function* () {
        const segments = [segment(0, 440), segment(1, 1000)]
        const combiner = yield* Combiner.Combiner
        const hard = yield* combiner.join({
          segments,
          destination: NodePath.join(dir, "hard.mp4"),
          transition: Transition.cut
        })
        const blended = NodePath.join(dir, "blended.mp4")
        copyFileSync(hard.path, blended)
        const blender = yield* AudioSeam.AudioBlender
        const result = yield* blender.blend({ output: blended, segments, transition: Transition.cut, seconds: 0.03 })
        assert.deepStrictEqual(result, { seams: 1, seconds: 0.03 })

        const seam = FRAMES / 30
        const [blendedStep] = yield* AudioStep.measure(blended, [seam])
        assert.isTrue(blendedStep!.withinBaseline, `blended click ${blendedStep!.click}`)
        assert.isAtMost(blendedStep!.click, AudioStep.clickLimit)
        // After the seam the later clip's tone runs exactly where its picture is: its clip time is the output
        // time minus the seam plus the one frame the cut dropped (a shift of a quarter millisecond would show).
        const samples = yield* AudioStep.decodeMono(blended)
        let dot = 0
        let norm = 0
        for (let n = (seam + 0.1) * 48_000; n < (seam + 0.5) * 48_000; n++) {
          const expected = Math.sin(2 * Math.PI * 1000 * (n / 48_000 - seam + 1 / 30))
          dot += samples[n]! * expected
          norm += samples[n]! ** 2
        }
        assert.isAbove(dot / Math.sqrt(norm * 0.2 * 48_000), 0.95, "the later tone is in sync with its picture")

        // The video is copied: the same packets, byte for byte; audio and video still end together.
        assert.deepStrictEqual(packetHashes(blended), packetHashes(hard.path))
        const durations = streamDurations(blended)
        assert.isBelow(Math.abs(durations.video - durations.audio), 1 / 30)
      }),
    60_000
  )
})
