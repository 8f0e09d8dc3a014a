/**
 * The seams, end to end with real `longsora` processes against an emulator the test owns (every create
 * counted): `--anchor best` moves the anchor of a clip that ends in a fade and trims it; `inspect` prints
 * the drift table and draws the drift on its contact sheet; `--max-drift` stops before paying for more
 * and the run goes on after; `regenerate --segment 2` on a 4-segment chained run creates exactly 2, 3
 * and 4, keeps the old clips, and a regenerate killed midway is finished with nothing created twice.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string

beforeAll(async () => {
  // Segment 1 of the first run (the first create) ends in a fade to black.
  emu = await Emulator.start({
    render: { secondsPerVideoSecond: 0.05, fixedSeconds: 0.1 },
    faults: { clipEnding: { kind: "fade", count: 1 } }
  })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-seams-"))
})

afterAll(async () => {
  await emu.close()
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true })
})

const env = () => CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey, LONGSORA_STATE_DIR: join(dir, "state") })
const prompt = "A lighthouse keeper climbs the stairs at dusk."
const output = (name: string) => join(dir, name)
const common = (name: string) => ["--base-url", emu.baseURL, "--output", output(name), "--json", "--yes"]
const run = (args: ReadonlyArray<string>) => CliProcess.run(args, { env: env() })

type Event = { readonly _tag: string; readonly [key: string]: unknown }
const events = (stdout: string): Array<Event> =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event)

interface Inspection {
  readonly avDifferenceSeconds: number
  readonly frameSeconds: number
  readonly contactSheet: string
  readonly media: { readonly video: { readonly frames: number; readonly width: number } }
  readonly seams: { readonly seams: ReadonlyArray<{ readonly segment: number; readonly ssimRatio: number }> }
  readonly drift: ReadonlyArray<{ readonly segment: number; readonly figures: { readonly drift: number } }>
  readonly audioSeams: ReadonlyArray<{ readonly segment: number; readonly withinBaseline: boolean }>
}

const inspect = async (name: string): Promise<Inspection> => {
  const result = await run(["inspect", output(name), "--json"])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as Inspection
}

/** Seams as good as the steps inside the segments, in sync, and no click in the sound. */
const expectSeamsPass = (report: Inspection, seams: number) => {
  expect(report.seams.seams).toHaveLength(seams)
  for (const seam of report.seams.seams) expect(seam.ssimRatio, `seam ${seam.segment}`).toBeGreaterThan(0.9)
  expect(report.avDifferenceSeconds).toBeLessThan(report.frameSeconds)
  expect(report.audioSeams.map((s) => s.withinBaseline)).toEqual(Array(seams).fill(true))
}

const manifestOf = (name: string) =>
  JSON.parse(readFileSync(join(output(name), ".longsora", "manifest.json"), "utf8")) as {
    segments: Array<{ segment: number; anchor?: { frame: number; trimmed?: string } }>
    versions?: Array<{ segment: number; version: number; file?: string }>
    outputSegments?: Array<{ segment: number; version: number }>
    regenerating?: unknown
  }

/** The RGB pixel at (x, y) of a PNG. */
const pixel = (png: string, x: number, y: number) => {
  const probe = execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=width", "-of", "csv=p=0", png])
  const width = Number(probe.toString().trim())
  const raw = execFileSync("ffmpeg", ["-v", "error", "-i", png, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], {
    maxBuffer: 64 * 1024 * 1024
  })
  const at = (y * width + x) * 3
  return [raw[at]!, raw[at + 1]!, raw[at + 2]!] as const
}

describe("seams: anchor, drift, audio, regenerate", { timeout: 240_000 }, () => {
  it("--anchor best: a segment ending in a fade is anchored before it and trimmed; the seams pass inspect", async () => {
    const before = emu.stats().creates
    const result = await run(["generate", prompt, "--durations", "4,4,4,4", "--anchor", "best", ...common("chain")])
    expect(result.code, result.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(4)
    const final = events(result.stdout).at(-1)!
    const segments = final.segments as Array<{ anchor?: { frame: number; frames: number; trimmed?: string } }>
    // The fade spoils the last 15 frames; its first is still at full level.
    const anchor = segments[0]!.anchor!
    expect(anchor.frames).toBe(120)
    expect(anchor.frame).toBeGreaterThanOrEqual(100)
    expect(anchor.frame).toBeLessThanOrEqual(105)
    expect(existsSync(segments[0]!.anchor!.trimmed!)).toBe(true)
    expect(segments[1]!.anchor).toMatchObject({ frame: 119 })
    expect(segments[1]!.anchor!.trimmed).toBeUndefined()
    expect(final.audioSeam).toEqual({ seams: 3, seconds: 0.03 })
    expect(manifestOf("chain").segments[0]!.anchor?.frame).toBe(anchor.frame)

    const report = await inspect("chain")
    // Segment 1 up to its anchor, then each later one without the frame it shares with the one before.
    expect(report.media.video.frames).toBe(anchor.frame + 1 + 3 * 119)
    expectSeamsPass(report, 3)
  })

  it("inspect prints the drift table and draws each segment's drift on the contact sheet", async () => {
    const text = await run(["inspect", output("chain")])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain("drift from segment 1")
    const rows = text.stdout
      .split("\n")
      .filter((line) => /^\s+[1-4]\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/.test(line))
    expect(rows).toHaveLength(4)
    expect(text.stdout).toMatch(/audio seam 1→2 .*\(within the baseline\)/)

    const report = await inspect("chain")
    expect(report.drift.map((d) => d.segment)).toEqual([1, 2, 3, 4])
    expect(report.drift[0]!.figures.drift).toBe(0)
    // The sheet: per row the frames either side of a seam, 480×270 with 4 px between; along the foot of
    // each later frame a red bar as wide as that segment's drift, on black.
    const rowHeight = 270 + 4
    for (const [row, seam] of report.seams.seams.entries()) {
      const drift = report.drift[seam.segment]!.figures.drift
      const [r, g, b] = pixel(report.contactSheet, 480 + 4 + 1, row * rowHeight + 270 - 2)
      if (drift * 480 >= 3) expect([r > 180, g < 80, b < 80]).toEqual([true, true, true])
      else expect(r + g + b).toBeLessThan(60)
    }
  })

  it("regenerate --segment 2 creates exactly 2, 3 and 4, keeps the old clips, and the seams pass inspect", async () => {
    const before = emu.stats().creates
    const newPrompt = "The keeper reaches the lamp room and lights the lamp."
    const args = ["regenerate", output("chain"), "--segment", "2", "--prompt", newPrompt, "--base-url", emu.baseURL]
    const dryRun = await run([...args, "--dry-run", "--json"])
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ _tag: "RegenerateDryRun", segments: [2, 3, 4], seconds: 12 })
    expect(emu.stats().creates - before).toBe(0)
    const result = await run([...args, "--json", "--yes"])
    expect(result.code, result.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(3)
    const plan = JSON.parse(readFileSync(join(output("chain"), "plan.json"), "utf8")) as {
      segments: Array<{ prompt: string }>
    }
    expect(plan.segments[1]!.prompt).toBe(newPrompt)
    const final = events(result.stdout).at(-1)!
    expect((final.segments as Array<{ prompt: string; version?: number }>)[1]).toMatchObject({
      prompt: newPrompt,
      version: 2
    })
    for (const k of [2, 3, 4]) {
      expect(existsSync(join(output("chain"), "segments", `segment_0${k}.v1.mp4`))).toBe(true)
      expect(existsSync(join(output("chain"), "segments", `segment_0${k}.mp4`))).toBe(true)
    }
    const manifest = manifestOf("chain")
    expect(manifest.versions?.map((v) => [v.segment, v.version])).toEqual([
      [2, 1],
      [3, 1],
      [4, 1]
    ])
    expect(manifest.outputSegments?.map((s) => s.version)).toEqual([1, 2, 2, 2])
    expect(manifest.regenerating).toBeUndefined()
    expectSeamsPass(await inspect("chain"), 3)
  })

  it("a regenerate killed after its first create is finished by running it again, creating nothing twice", async () => {
    const before = emu.stats().creates
    const args = ["regenerate", output("chain"), "--segment", "3", "--base-url", emu.baseURL, "--json", "--yes"]
    const first = CliProcess.start(args, { env: env() })
    await CliProcess.waitForLine(first, (line) => line.includes('"SegmentQueued"') && line.includes('"segment":3'))
    first.child.kill("SIGKILL")
    await first.finished
    expect(emu.stats().creates - before).toBe(1)
    const second = await run(args)
    expect(second.code, second.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(2)
    expect(manifestOf("chain").outputSegments?.map((s) => s.version)).toEqual([1, 2, 3, 3])
    expect(existsSync(join(output("chain"), "segments", "segment_03.v2.mp4"))).toBe(true)
  })

  it("independent mode: regenerate creates only the one segment", async () => {
    const name = "independent"
    expect((await run(["generate", prompt, "--durations", "4,4", "--mode", "independent", ...common(name)])).code).toBe(
      0
    )
    const before = emu.stats().creates
    const result = await run([
      "regenerate",
      output(name),
      "--segment",
      "1",
      "--base-url",
      emu.baseURL,
      "--json",
      "--yes"
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(1)
  })

  it("--max-drift stops a chained run before paying for more segments, and the run goes on after", async () => {
    const args = ["generate", prompt, "--durations", "4,4,4", ...common("drift")]
    const before = emu.stats().creates
    const stopped = await run([...args, "--max-drift", "0"])
    expect(stopped.code).toBe(1)
    expect(stopped.stderr).toMatch(/Segment 2 drifted [\d.]+ from segment 1 .* above --max-drift 0/)
    expect(emu.stats().creates - before).toBe(2)
    const resumed = await run([...args, "--max-drift", "1"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(emu.stats().creates - before).toBe(3)
  })
})
