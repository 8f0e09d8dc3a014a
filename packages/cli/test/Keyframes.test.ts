/**
 * `--chain keyframes` end to end, offline, as real processes: Veo through the embedded emulator's
 * Gemini dialect, keyframes through its OpenAI Images API. Every seam is measured with ffmpeg
 * (both sides are the keyframe image), the emulator's data directory counts 6 images and 5 video
 * creates, a rerun pays for nothing, and refusals name the flag and the strategies a model has.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-keyframes-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const prompt = "A red paper boat drifts down a rain-soaked street at dusk."
const VEO = "google:veo-3.1-generate-preview"
const FPS = 30

const lines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { _tag: string; [key: string]: unknown })

/**
 * A picture as ffmpeg decodes it for a video: 64x36, luma in BT.709 limited range (a still and a
 * frame go through the same conversion, so only their pictures differ).
 */
const luma = (input: string, frame?: number) =>
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-i",
    input,
    "-vf",
    `${frame === undefined ? "" : `select=eq(n\\,${frame}),`}scale=64:36:flags=area:out_color_matrix=bt709:out_range=tv,format=yuv420p,extractplanes=y`,
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "-"
  ])

/** Mean absolute luma difference, 0–255. */
const difference = (a: Buffer, b: Buffer) => a.reduce((sum, value, i) => sum + Math.abs(value - b[i]!), 0) / a.length

const frameCount = (file: string) =>
  Number(
    execFileSync("ffprobe", [
      "-v",
      "error",
      "-count_frames",
      "-select_streams",
      "v",
      "-show_entries",
      "stream=nb_read_frames",
      "-of",
      "csv=p=0",
      file
    ]).toString()
  )

const args = (output: string, ...extra: Array<string>) => [
  "generate",
  prompt,
  "--chain",
  "keyframes",
  "--model",
  VEO,
  "--seconds",
  "40",
  "--segments",
  "5",
  "--offline",
  "--output",
  output,
  "--json",
  ...extra
]

describe("longsora generate --chain keyframes", { timeout: 240_000 }, () => {
  it("--offline, Veo, 40 s in 5 segments: 6 images, 5 creates, every seam exactly the keyframe; a rerun pays nothing", async () => {
    const output = join(dir, "veo")
    const result = await CliProcess.run(args(output), { env: CliProcess.baseEnv() })
    expect(result.code, result.stderr).toBe(0)
    const events = lines(result.stdout)
    const final = events.at(-1)!
    expect(final).toMatchObject({ _tag: "Result", durations: [8, 8, 8, 8, 8], keyframesBilled: 6, secondsBilled: 40 })
    // $0.40/s for 40 s plus 6 keyframe images at $0.05.
    expect(final.estimatedCostUsd).toBeCloseTo(16.3, 2)
    expect(events.filter((e) => e._tag === "KeyframeRendered" && e.reused === false)).toHaveLength(6)
    const counted = await Emulator.readDataDir(join(output, ".longsora", "emulator"))
    expect([counted.creates, counted.images]).toEqual([5, 6])

    const segments = join(output, "segments")
    const keyframe = (k: number) => luma(join(segments, `keyframe_0${k}.png`))
    const segment = (k: number) => join(segments, `segment_0${k}.mp4`)
    // A cut join drops each later segment's first frame (the repeat of the seam's picture).
    const joined = join(output, "output.mp4")
    expect(frameCount(joined)).toBe(5 * 8 * FPS - 4)
    for (let k = 1; k <= 4; k++) {
      const seam = keyframe(k)
      const ends = luma(segment(k), 8 * FPS - 1)
      const opens = luma(segment(k + 1), 0)
      const lastBeforeSeam = luma(joined, k * 8 * FPS - (k - 1) - 1)
      // Both sides of the seam are the keyframe (up to H.264's loss), ...
      for (const side of [ends, opens, lastBeforeSeam]) expect(difference(side, seam)).toBeLessThan(1.5)
      // ... and not merely a similar picture: the neighbouring keyframes are far further away.
      expect(difference(ends, keyframe(k + 1))).toBeGreaterThan(4)
      expect(difference(opens, keyframe(k - 1))).toBeGreaterThan(4)
    }

    const again = await CliProcess.run(args(output), { env: CliProcess.baseEnv() })
    expect(again.code, again.stderr).toBe(0)
    const rerun = lines(again.stdout)
    expect(rerun.filter((e) => e._tag === "KeyframeRendered").every((e) => e.reused === true)).toBe(true)
    const recounted = await Emulator.readDataDir(join(output, ".longsora", "emulator"))
    expect([recounted.creates, recounted.images]).toEqual([5, 6])
  })

  it("--image-model google:…: the keyframes come from a Gemini image model, and the seams are exact", async () => {
    const output = join(dir, "gemini-images")
    const gemini = "google:gemini-2.5-flash-image"
    const shorter = args(output, "--image-model", gemini).map((a) => (a === "40" ? "16" : a === "5" ? "2" : a))
    const preview = await CliProcess.run([...shorter, "--dry-run"], { env: CliProcess.baseEnv() })
    expect(lines(preview.stdout).at(-1)).toMatchObject({ keyframes: { images: 3, model: gemini } })
    const result = await CliProcess.run(shorter, { env: CliProcess.baseEnv() })
    expect(result.code, result.stderr).toBe(0)
    expect(lines(result.stdout).at(-1)).toMatchObject({ _tag: "Result", durations: [8, 8], keyframesBilled: 3 })
    // Made by the emulator's Gemini dialect (image files), none through the OpenAI Images API (records).
    const made = readdirSync(join(output, ".longsora", "emulator", "images"))
    expect(made.filter((name) => name.endsWith(".png"))).toHaveLength(3)
    expect(made.filter((name) => name.endsWith(".json"))).toHaveLength(0)
    const segments = join(output, "segments")
    const seam = luma(join(segments, "keyframe_01.png"))
    expect(difference(luma(join(segments, "segment_01.mp4"), 8 * FPS - 1), seam)).toBeLessThan(1.5)
    expect(difference(luma(join(segments, "segment_02.mp4"), 0), seam)).toBeLessThan(1.5)

    // The image model is recorded, so a regenerate uses it again without being told (--image-model).
    const manifest = JSON.parse(readFileSync(join(output, ".longsora", "manifest.json"), "utf8"))
    expect(manifest.keyframes.map((k: { model: string }) => k.model)).toEqual([gemini, gemini, gemini])

    // Regenerating segment 1 makes it alone, between the same keyframes: segment 2 is not touched.
    const untouched = readFileSync(join(segments, "segment_02.mp4"))
    const redo = await CliProcess.run(["regenerate", output, "--segment", "1", "--offline", "--json"], {
      env: CliProcess.baseEnv()
    })
    expect(redo.code, redo.stderr).toBe(0)
    const counted = await Emulator.readDataDir(join(output, ".longsora", "emulator"))
    expect([counted.creates, counted.images]).toEqual([3, 3])
    expect(readFileSync(join(segments, "segment_02.mp4")).equals(untouched)).toBe(true)
    expect(difference(luma(join(segments, "segment_01.mp4"), 8 * FPS - 1), seam)).toBeLessThan(1.5)
  })

  it("--dry-run shows the keyframe images and their cost in the estimate", async () => {
    const result = await CliProcess.run(args(join(dir, "dry"), "--dry-run"), { env: CliProcess.baseEnv() })
    expect(result.code, result.stderr).toBe(0)
    expect(lines(result.stdout).at(-1)).toMatchObject({
      _tag: "DryRun",
      keyframes: { images: 6, model: "gpt-image-1.5", usdPerImage: 0.05 },
      estimatedCostUsd: 16.3
    })
  })

  it("a model without a last frame is refused, naming the strategies it supports; an unknown image model names --image-model", async () => {
    const wan = "fal:wan-25-preview/image-to-video"
    // Wan only animates an image, so it gets one: the refusal is about the last frame it lacks.
    const reference = join(dir, "reference.png")
    execFileSync("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "color=c=navy:s=1280x720",
      "-frames:v",
      "1",
      reference
    ])
    const refused = await CliProcess.run(
      [
        "generate",
        prompt,
        "--chain",
        "keyframes",
        "--model",
        wan,
        "--input-reference",
        reference,
        "--seconds",
        "20",
        "--offline",
        "--output",
        join(dir, "wan")
      ],
      { env: CliProcess.baseEnv() }
    )
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain(`Invalid --chain: keyframes. Allowed: last-frame for ${wan}`)
    expect(refused.stderr).toContain("does not take both a first and a last frame")
    const prefixed = await CliProcess.run(
      args(join(dir, "prefixed"), "--image-model", "google:imagen-4", "--dry-run"),
      {
        env: CliProcess.baseEnv()
      }
    )
    expect(prefixed.code).not.toBe(0)
    expect(prefixed.stderr).toContain("Invalid --image-model: google:imagen-4")
    // A bare id is an OpenAI Images model: one it lacks is refused with every model there is, in the CLI's words.
    const bare = await CliProcess.run(args(join(dir, "bare"), "--image-model", "dall-e-9", "--dry-run"), {
      env: CliProcess.baseEnv()
    })
    expect(bare.code).not.toBe(0)
    expect(bare.stderr).toContain("Invalid --image-model: dall-e-9. Allowed: an image model: gpt-image-1.5")
    expect(bare.stderr).toContain("google:gemini-2.5-flash-image")
    expect(bare.stderr).toContain("Leave it out (default gpt-image-1.5)")
  })
})
