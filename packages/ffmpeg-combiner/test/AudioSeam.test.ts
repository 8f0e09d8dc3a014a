import { execFileSync } from "node:child_process"
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs"
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

const streamIds = (path: string) =>
  execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=id", "-of", "csv=p=0", path], { encoding: "utf8" })
    .trim()
    .split("\n")

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

        // Two tracks numbered 1 and 2 (the new audio comes from another file whose track was also number 1).
        const ids = ffmpeg(["-v", "error", "-i", blended, "-f", "null", "-"]) && streamIds(blended)
        assert.deepStrictEqual(ids, ["0x1", "0x2"])
        // The video is copied: the same packets, byte for byte; audio and video still end together.
        assert.deepStrictEqual(packetHashes(blended), packetHashes(hard.path))
        const durations = streamDurations(blended)
        assert.isBelow(Math.abs(durations.video - durations.audio), 1 / 30)
      }),
    60_000
  )
})

/** ffmpeg behind a script that logs every decode of a soundtrack piece, so a test can count them. */
const pieceLog = NodePath.join(dir, "pieces.log")
const countingFfmpeg = NodePath.join(dir, "ffmpeg-counting.sh")
writeFileSync(
  countingFfmpeg,
  `#!/bin/sh\ncase "$*" in *"[piece]"*) echo piece >> '${pieceLog}';; esac\nexec ffmpeg "$@"\n`
)
chmodSync(countingFfmpeg, 0o755)
const piecesDecoded = () => {
  try {
    return readFileSync(pieceLog, "utf8").split("\n").filter(Boolean).length
  } catch {
    return 0
  }
}

layer(FfmpegServices.layer({ ffmpegPath: countingFfmpeg }), { excludeTestServices: true })(
  "AudioSeam prepared ahead",
  (it) => {
    /** Joins `segments` into `name` and blends it, `prepared` first (each a list of the first segments). */
    const joinAndBlend = (
      name: string,
      segments: ReadonlyArray<string>,
      prepared: ReadonlyArray<ReadonlyArray<string>> = []
    ) =>
      Effect.gen(function* () {
        const combiner = yield* Combiner.Combiner
        const blender = yield* AudioSeam.AudioBlender
        const output = NodePath.join(dir, name)
        yield* combiner.join({ segments, destination: output, transition: Transition.cut })
        for (const first of prepared) {
          yield* blender.prepare({ output, segments: first, transition: Transition.cut, seconds: 0.03 })
        }
        const before = piecesDecoded()
        const result = yield* blender.blend({ output, segments, transition: Transition.cut, seconds: 0.03 })
        return { output, result, decodedByBlend: piecesDecoded() - before }
      }).pipe(Effect.scoped)

    it.effect(
      "what was prepared while later segments rendered is not decoded again, and the file is the same as a blend from scratch",
      () =>
        Effect.gen(function* () {
          const segments = [segment(0, 440), segment(1, 660), segment(2, 1000)]
          const fresh = yield* joinAndBlend("fresh.mp4", segments)
          assert.strictEqual(fresh.decodedByBlend, 3)
          assert.deepStrictEqual(fresh.result, { seams: 2, seconds: 0.03 })
          const ahead = yield* joinAndBlend("ahead.mp4", segments, [segments.slice(0, 1), segments.slice(0, 2)])
          // Only the last segment's piece was left for the blend.
          assert.strictEqual(ahead.decodedByBlend, 1)
          assert.deepStrictEqual(ahead.result, fresh.result)
          assert.isTrue(readFileSync(ahead.output).equals(readFileSync(fresh.output)), "the same bytes")
          const [first, second] = yield* AudioStep.measure(ahead.output, [(FRAMES - 1) / 30, (2 * FRAMES - 2) / 30])
          assert.isTrue(first!.withinBaseline && second!.withinBaseline, `clicks ${first!.click} ${second!.click}`)
        }),
      60_000
    )

    it.effect(
      "a segment made again after it was prepared is blended anew: the result is the new segment's sound",
      () =>
        Effect.gen(function* () {
          const first = segment(0, 440)
          // The old segment 2 is prepared; then a regenerate puts a new clip at the same path.
          const later = NodePath.join(dir, "segment_1_later.mp4")
          copyFileSync(segment(1, 660), later)
          const replaced = NodePath.join(dir, "segment_1_again.mp4")
          copyFileSync(segment(1, 1500), replaced)
          const original = [first, later]
          const prepared = yield* Effect.gen(function* () {
            const combiner = yield* Combiner.Combiner
            const blender = yield* AudioSeam.AudioBlender
            const output = NodePath.join(dir, "again.mp4")
            yield* blender.prepare({
              output,
              segments: [original[0]!, later],
              transition: Transition.cut,
              seconds: 0.03
            })
            copyFileSync(replaced, later)
            yield* combiner.join({ segments: [original[0]!, later], destination: output, transition: Transition.cut })
            yield* blender.blend({ output, segments: [original[0]!, later], transition: Transition.cut, seconds: 0.03 })
            return output
          }).pipe(Effect.scoped)
          const fresh = yield* joinAndBlend("again-fresh.mp4", [original[0]!, replaced])
          assert.isTrue(
            readFileSync(prepared).equals(readFileSync(fresh.output)),
            "the same bytes as the new clip's blend"
          )
        }),
      60_000
    )
  }
)
