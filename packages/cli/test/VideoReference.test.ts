/**
 * `--input-reference my.mp4` with real processes, real ffmpeg and real files: the clip's exact last
 * frame opens segment 1 (offline, measured with ffmpeg's PSNR against that frame and the one before
 * it), `--include-reference` opens the output with the clip (durations, first frames, manifest,
 * resume), and bad videos are refused before anything is created (the emulator's stats).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string
/** 2 s, 640x360 at 24 fps (48 frames; only the first is a keyframe), with a 44.1 kHz mono sound. */
let clip: string

const ffmpeg = (...args: ReadonlyArray<string>) => execFileSync("ffmpeg", ["-v", "error", "-y", ...args])

beforeAll(async () => {
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.01, fixedSeconds: 0.05 } })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-videoref-"))
  clip = join(dir, "my.mp4")
  ffmpeg(
    ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24:duration=2"],
    ...["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100:duration=2", "-ac", "1"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip]
  )
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const prompt = "The test pattern keeps scrolling across the screen."
const env = () => CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey })
const online = (output: string) => ["--base-url", emu.baseURL, "--output", join(dir, output), "--json", "--yes"]
const resultOf = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { _tag: string; [key: string]: unknown })
    .find((line) => line._tag === "Result")!

/** Frame `n` of `video` (its own frame numbers), scaled to 1280x720, as a PNG. */
const frame = (video: string, n: number, name: string) => {
  const png = join(dir, `${name}.png`)
  ffmpeg("-i", video, "-vf", `select=eq(n\\,${n}),scale=1280:720`, "-fps_mode", "passthrough", "-frames:v", "1", png)
  return png
}

/** ffmpeg's PSNR of two images, in dB (higher: closer; identical pictures give inf). */
const psnr = (a: string, b: string) => {
  // The figures are on stderr.
  const log = spawnSync("ffmpeg", ["-i", a, "-i", b, "-lavfi", "psnr", "-f", "null", "-"]).stderr.toString()
  const average = /average:(\S+)/.exec(log)?.[1]
  return average === "inf" ? Number.POSITIVE_INFINITY : Number(average)
}

const seconds = (file: string) =>
  Number(
    execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString()
  )

describe("longsora generate --input-reference VIDEO", { timeout: 180_000 }, () => {
  it("--offline: segment 1's first frame is my.mp4's exact last frame, not the one before it", async () => {
    const output = join(dir, "offline")
    const result = await CliProcess.run(
      ["generate", prompt, "--input-reference", clip, "--durations", "4,4", "--offline", "--output", output, "--json"],
      { env: CliProcess.baseEnv() }
    )
    expect(result.code, result.stderr).toBe(0)
    const opening = frame(join(output, "segments", "segment_01.mp4"), 0, "opening")
    const last = psnr(opening, frame(clip, 47, "clip-last"))
    const beforeLast = psnr(opening, frame(clip, 46, "clip-before-last"))
    // Measured: ~31 dB against the last frame (resize and encode), ~18.5 dB against the one before it.
    expect(last).toBeGreaterThan(28)
    expect(last - beforeLast).toBeGreaterThan(8)
  })

  it("--include-reference: the output is the clip, then the segments; a rerun resumes; another clip is refused", async () => {
    const args = ["generate", prompt, "--input-reference", clip, "--include-reference", "--durations", "4,4"]
    const before = emu.stats().creates
    const first = await CliProcess.run([...args, ...online("include")], { env: env() })
    expect(first.code, first.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(2)
    const result = resultOf(first.stdout) as unknown as {
      output: string
      joinMethod: string
      includedReference: { seconds: number; path: string }
    }
    // Only the clip was brought to the segments' format: the segments themselves are still copied.
    expect(result.joinMethod).toMatch(/^(copy|copy-cut|smart-cut)$/)
    expect(result.includedReference.path).toBe(clip)
    expect(result.includedReference.seconds).toBeCloseTo(2, 1)
    // 2 + 4 + 4 s, less the frame each cut seam shares (1/30 s).
    expect(Math.abs(seconds(result.output) - (2 + 8 - 2 / 30))).toBeLessThan(0.05)
    // It opens with the clip's frames: its first, and its last just before segment 1 (30 fps from 24).
    expect(psnr(frame(result.output, 0, "out-0"), frame(clip, 0, "clip-0"))).toBeGreaterThan(28)
    expect(psnr(frame(result.output, 59, "out-59"), frame(clip, 47, "clip-47"))).toBeGreaterThan(28)
    const manifest = JSON.parse(readFileSync(join(dir, "include", ".longsora", "manifest.json"), "utf8"))
    expect(manifest.request.includeReference).toBe(true)
    expect(manifest.request.inputReference).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(manifest.includedReference.seconds).toBeCloseTo(2, 1)

    const inspected = await CliProcess.run(["inspect", join(dir, "include")], { env: env() })
    expect(inspected.stdout).toMatch(/segments: 2(\.0+)? \+ 4 \+ 4 s/)
    expect(inspected.stdout).toContain("seam 1→2 at 2.000 s")

    // The same clip again (a copy: identity is its bytes) resumes without creating anything.
    const copy = join(dir, "copy.mp4")
    writeFileSync(copy, readFileSync(clip))
    const again = await CliProcess.run(
      [
        "generate",
        prompt,
        "--input-reference",
        copy,
        "--include-reference",
        "--durations",
        "4,4",
        ...online("include")
      ],
      { env: env() }
    )
    expect(again.code, again.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(2)

    const other = join(dir, "other.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x360:rate=24:duration=1", "-pix_fmt", "yuv420p", other)
    const conflict = await CliProcess.run(
      [
        "generate",
        prompt,
        "--input-reference",
        other,
        "--include-reference",
        "--durations",
        "4,4",
        ...online("include")
      ],
      { env: env() }
    )
    expect(conflict.code).not.toBe(0)
    expect(conflict.stderr).toContain("--input-reference")
    expect(emu.stats().creates - before).toBe(2)
  })

  it("refuses bad videos and --chain extend before anything is created, naming the flag", async () => {
    const audioOnly = join(dir, "audio.m4a")
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", audioOnly)
    const truncated = join(dir, "truncated.mp4")
    writeFileSync(truncated, readFileSync(clip).subarray(0, 3000))
    const huge = join(dir, "huge.mp4")
    // Sparse: 3 GiB on paper, an MP4's first bytes in fact.
    writeFileSync(huge, readFileSync(clip).subarray(0, 64))
    execFileSync("truncate", ["-s", "3G", huge])
    const long = join(dir, "long.mp4")
    ffmpeg("-f", "lavfi", "-i", "color=s=16x16:r=1:d=3601", "-c:v", "libx264", "-preset", "ultrafast", long)
    const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
      [["--input-reference", audioOnly], "It could not be read as a video: it has no video stream."],
      [["--input-reference", truncated], "It could not be read as a video: moov atom not found"],
      [["--input-reference", huge], "(3072 MB). Allowed: a video of at most 2048 MB."],
      [["--input-reference", long], "(3601 s). Allowed: a video of at most 3600 s."],
      [
        ["--input-reference", clip, "--chain", "extend"],
        "Leave out --chain extend to continue the clip from its exact last frame"
      ],
      [["--include-reference"], "Invalid --include-reference: no --input-reference."]
    ]
    const before = emu.stats().creates
    for (const [extra, message] of cases) {
      const output = join(dir, "refused")
      const result = await CliProcess.run(["generate", prompt, "--durations", "4,4", ...extra, ...online("refused")], {
        env: env()
      })
      expect(result.code, extra.join(" ")).toBe(2)
      expect(result.stderr).toContain(message)
      expect(existsSync(output), "nothing written").toBe(false)
    }
    expect(emu.stats().creates).toBe(before)
  })
})
