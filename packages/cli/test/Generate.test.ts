/**
 * Real `longsora` processes against an emulator the test owns, so every create is counted:
 * a dry run creates nothing, --json is NDJSON, and a run killed in the middle of segment 2 is
 * finished by the next run with exactly one create per segment.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string

beforeAll(async () => {
  // Slow enough that a run can be killed while segment 2 renders.
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.5, fixedSeconds: 0.5 } })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-run-"))
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = () => CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey })
const prompt = "A lighthouse keeper climbs the stairs at dusk."
const common = (output: string) => ["--base-url", emu.baseURL, "--output", join(dir, output), "--json"]

const parseLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { _tag: string; [key: string]: unknown })

describe("longsora generate", { timeout: 240_000 }, () => {
  it("--dry-run shows split, plan and cost and creates nothing", async () => {
    const before = emu.stats().creates
    const result = await CliProcess.run(
      ["generate", prompt, "--seconds", "20", "--segments", "2", "--dry-run", ...common("dry")],
      {
        env: env()
      }
    )
    expect(result.code).toBe(0)
    const [dryRun] = parseLines(result.stdout)
    expect(dryRun).toMatchObject({ _tag: "DryRun", durations: [12, 8], estimatedCostUsd: 2, planError: null })
    expect((dryRun!.plan as { segments: Array<unknown> }).segments).toHaveLength(2)
    expect(emu.stats().creates).toBe(before)
    expect(existsSync(join(dir, "dry"))).toBe(false)
  })

  it("--dry-run without a key still shows the split and the cost, and says why there is no plan", async () => {
    const result = await CliProcess.run([
      "generate",
      prompt,
      "--durations",
      "12,8,4",
      "--dry-run",
      "--output",
      join(dir, "nokey")
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("split: 12 + 8 + 4 s (3 segments) at 1280x720")
    expect(result.stdout).toContain("estimated cost: $2.40")
    expect(result.stdout).toMatch(/plan: not available .*OPENAI_API_KEY is not set/)
  })

  it("--offline with a gateway model declared by --clip-seconds: the embedded emulator serves it too", async () => {
    const result = await CliProcess.run(
      [
        "generate",
        prompt,
        "--model",
        "veo-3.1",
        "--clip-seconds",
        "4-6",
        "--seconds",
        "10",
        "--segments",
        "2",
        "--offline"
      ].concat(["--output", join(dir, "gateway"), "--json"]),
      { env: CliProcess.baseEnv() }
    )
    expect(result.code).toBe(0)
    const last = parseLines(result.stdout).at(-1)!
    expect(last).toMatchObject({ _tag: "Result", durations: [5, 5] })
    expect(existsSync(last.output as string)).toBe(true)
  })

  it("refuses to spend above --confirm-above without a terminal to ask, unless --yes", async () => {
    const before = emu.stats().creates
    const result = await CliProcess.run(
      ["generate", prompt, "--seconds", "8", "--segments", "2", "--confirm-above", "0.5", ...common("costly")],
      { env: env() }
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/estimate of \$0\.80 with no terminal.*Pass --yes/)
    expect(emu.stats().creates).toBe(before)
  })

  it("--json prints one parseable event per line and the result last", async () => {
    const before = emu.stats().creates
    const result = await CliProcess.run(
      ["generate", prompt, "--seconds", "8", "--segments", "2", "--yes", ...common("json")],
      {
        env: env()
      }
    )
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const events = parseLines(result.stdout)
    const tags = events.map((event) => event._tag)
    expect(tags[0]).toBe("Started")
    expect(tags).toContain("Planned")
    expect(tags.filter((tag) => tag === "SegmentQueued")).toHaveLength(2)
    expect(tags.at(-2)).toBe("Joined")
    const last = events.at(-1)!
    expect(last._tag).toBe("Result")
    expect(last.durations).toEqual([4, 4])
    expect(existsSync(last.output as string)).toBe(true)
    expect(emu.stats().creates - before).toBe(2)
  })

  it("inspect reports streams, A/V sync and every seam of that run, with a contact sheet", async () => {
    const result = await CliProcess.run(["inspect", join(dir, "json"), "--json"], { env: env() })
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as {
      avDifferenceSeconds: number
      frameSeconds: number
      contactSheet: string
      media: { video: { width: number; height: number; frames: number } }
      seams: { seams: Array<{ segment: number; ssim: number; ssimRatio: number }> }
    }
    expect(report.media.video).toMatchObject({ width: 1280, height: 720, frames: 239 })
    expect(report.avDifferenceSeconds).toBeLessThan(report.frameSeconds)
    expect(report.seams.seams.map((s) => s.segment)).toEqual([1])
    // The duplicated seam frame was dropped: the seam is not an identical pair.
    expect(report.seams.seams[0]!.ssim).toBeLessThan(1)
    expect(existsSync(report.contactSheet)).toBe(true)
  })

  it("a run killed in the middle of segment 2 is finished by the next run, creating each segment once", async () => {
    const before = emu.stats().creates
    const args = ["generate", prompt, "--seconds", "12", "--segments", "3", "--yes", ...common("killed")]
    const first = CliProcess.start(args, { env: env() })
    await CliProcess.waitForLine(first, (line) => line.includes('"SegmentQueued"') && line.includes('"segment":2'))
    first.child.kill("SIGKILL")
    const killed = await first.finished
    expect(killed.signal).toBe("SIGKILL")
    expect(emu.stats().creates - before).toBe(2)

    const second = await CliProcess.run(args, { env: env() })
    expect(second.code).toBe(0)
    const events = parseLines(second.stdout)
    const reused = events.filter((event) => event._tag === "SegmentReused").map((event) => event.segment)
    expect(reused).toEqual([1, 2])
    const result = events.at(-1)!
    expect(result._tag).toBe("Result")
    expect(new Set(result.jobIds as Array<string>).size).toBe(3)
    expect(emu.stats().creates - before).toBe(3)
  })

  it("--offline: a run SIGKILLed while segment 2 renders is finished by a rerun; the embedded emulator's jobs survive in the output directory", async () => {
    const output = join(dir, "offline-killed")
    const args = ["generate", prompt, "--seconds", "12", "--segments", "3", "--offline", "--output", output, "--json"]
    const first = CliProcess.start(args, { env: CliProcess.baseEnv() })
    await CliProcess.waitForLine(first, (line) => line.includes('"SegmentQueued"') && line.includes('"segment":2'))
    first.child.kill("SIGKILL")
    expect((await first.finished).signal).toBe("SIGKILL")

    const second = await CliProcess.run(args, { env: CliProcess.baseEnv() })
    expect(second.stderr).toBe("")
    expect(second.code).toBe(0)
    const result = parseLines(second.stdout).at(-1)!
    expect(result).toMatchObject({ _tag: "Result", output: join(output, "output.mp4") })
    expect(existsSync(join(output, "output.mp4"))).toBe(true)
    // Both processes' embedded emulators recorded their creates there: one per segment in all.
    const counted = await Emulator.readDataDir(join(output, ".longsora", "emulator"))
    expect(counted.creates).toBe(3)
    expect(new Set(result.jobIds as Array<string>)).toEqual(new Set(counted.jobs.map((job) => job.id)))
  })

  it("refuses to resume a different request in the same directory (exit 2), and --restart starts over", async () => {
    const output = "changed"
    const first = await CliProcess.run(
      ["generate", prompt, "--seconds", "4", "--segments", "1", "--yes", ...common(output)],
      { env: env() }
    )
    expect(first.code).toBe(0)
    const changed = await CliProcess.run(
      ["generate", prompt, "--seconds", "8", "--segments", "1", "--yes", ...common(output)],
      {
        env: env()
      }
    )
    expect(changed.code).toBe(2)
    expect(changed.stderr).toMatch(/changed: --durations.*--restart/)
    const restarted = await CliProcess.run(
      ["generate", prompt, "--seconds", "8", "--segments", "1", "--yes", "--restart", ...common(output)],
      { env: env() }
    )
    expect(restarted.code).toBe(0)
  })
})
