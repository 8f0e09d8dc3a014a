/**
 * `--chain` with real processes against an emulator the test owns: `extend` makes one video through
 * the extension endpoint (one create, then extensions, each counted), and a strategy the model lacks
 * is refused before anything is created, naming the ones it supports.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string

beforeAll(async () => {
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.01, fixedSeconds: 0.05 } })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-chain-"))
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = () => CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey })
const prompt = "A paper boat drifts down a rain-soaked street."
const common = (output: string) => ["--base-url", emu.baseURL, "--output", join(dir, output), "--json"]
const lines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { _tag: string; [key: string]: unknown })

const seconds = (file: string) =>
  Number(
    execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString()
  )

describe("longsora generate --chain", { timeout: 180_000 }, () => {
  it("extend: --seconds 40 --segments 4 is one create and three extensions, and their stitched video", async () => {
    const before = emu.stats()
    const result = await CliProcess.run(
      ["generate", prompt, "--chain", "extend", "--seconds", "40", "--segments", "4", ...common("extend")],
      { env: env() }
    )
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const final = lines(result.stdout).find((line) => line._tag === "Result")!
    expect(final).toMatchObject({ durations: [8, 12, 12, 8], joinMethod: "provider", secondsBilled: 40 })
    expect(seconds(final.output as string)).toBeCloseTo(40, 0)
    const after = emu.stats()
    expect(after.creates - before.creates).toBe(4)
    expect(
      (after.requestsByRoute["POST /v1/videos/extensions"] ?? 0) -
        (before.requestsByRoute["POST /v1/videos/extensions"] ?? 0)
    ).toBe(3)
  })

  it("a strategy the model lacks is refused before anything is created, naming the ones it supports", async () => {
    const before = emu.stats().creates
    const result = await CliProcess.run(
      ["generate", prompt, "--chain", "keyframes", "--seconds", "24", ...common("refused")],
      { env: env() }
    )
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(
      "Invalid --chain: keyframes. Allowed: last-frame or extend for sora-2 (sora-2 does not take both a first and a last frame). " +
        "Use one of those, or a model that takes a first and a last frame (e.g. google:veo-3.1-generate-preview)."
    )
    expect(emu.stats().creates).toBe(before)
  })
})
