/**
 * Every bad input exits with code 2 and a message that names the argument and the fix, and nothing
 * is created on the server: validation runs before any paid call.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string

beforeAll(async () => {
  emu = await Emulator.start()
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-bad-"))
  writeFileSync(join(dir, "notes.txt"), "not an image")
  writeFileSync(join(dir, "a-file"), "x")
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const prompt = "A woman is dancing in a bunch of trees."

const cases: ReadonlyArray<{
  name: string
  args: ReadonlyArray<string>
  env?: Record<string, string>
  message: RegExp
}> = [
  {
    name: "seconds not formable",
    args: ["--seconds", "15", "--segments", "2"],
    message: /Invalid --seconds: 15 s cannot be made of exactly 2 clips of 4, 8 or 12 s\. Try --seconds 12 or 16/
  },
  { name: "zero segments", args: ["--seconds", "24", "--segments", "0"], message: /Invalid --segments: 0/ },
  {
    name: "more segments than seconds allow",
    args: ["--seconds", "24", "--segments", "10"],
    message: /--segments 2, 3, 4, 5, 6 for 24 s/
  },
  {
    name: "a split that does not sum",
    args: ["--seconds", "24", "--durations", "12,8"],
    message: /Invalid --durations: \[12, 8\] = 20 s\. Allowed: a split that sums to --seconds = 24/
  },
  { name: "a length the model does not take", args: ["--durations", "12,6,6"], message: /Invalid --durations: 6 s/ },
  { name: "an unknown model", args: ["--seconds", "24", "--model", "sora-9"], message: /Invalid model: "sora-9"/ },
  {
    name: "a size the model does not offer",
    args: ["--seconds", "24", "--size", "1792x1024"],
    message: /Invalid --size: 1792x1024\. Allowed: (1280x720 or 720x1280|720x1280 or 1280x720) for sora-2/
  },
  {
    name: "a missing reference",
    args: ["--seconds", "24", "--input-reference", "missing.png"],
    message: /Invalid --input-reference: missing\.png.*No file at/
  },
  {
    name: "a reference that is not an image",
    args: ["--seconds", "24", "--input-reference", "notes.txt"],
    message: /Invalid --input-reference: notes\.txt.*could not be read/
  },
  {
    name: "an output path that is a file",
    args: ["--seconds", "24", "--output", "a-file"],
    message: /Invalid --output: a-file.*not a directory/
  },
  {
    name: "a bad transition",
    args: ["--seconds", "24", "--transition", "wobble"],
    message: /Invalid --transition: wobble/
  },
  { name: "a malformed number", args: ["--seconds", "abc"], message: /seconds/i },
  {
    name: "no ffmpeg",
    args: ["--seconds", "24"],
    env: { FFMPEG_PATH: "/nonexistent/ffmpeg" },
    message: /ffmpeg is not usable.*apt-get install ffmpeg/
  }
]

// Each case is a real process (about 2 s of CPU to start); allow for a loaded 2-core machine.
describe("longsora generate with bad input", { timeout: 120_000 }, () => {
  it.concurrent.each(cases)("exits 2 for $name and creates nothing", async ({ args, env, message }) => {
    const result = await CliProcess.run(["generate", prompt, "--base-url", emu.baseURL, ...args], {
      cwd: dir,
      env: CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey, ...env })
    })
    expect(result.stderr.replace(/\s+/g, " ")).toMatch(message)
    expect(result.code).toBe(2)
  })

  it("exits 2 without a key unless offline, naming the variable and --offline", async () => {
    const result = await CliProcess.run(["generate", prompt, "--seconds", "24"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/Invalid OPENAI_API_KEY: not set.*--offline/)
  })

  it("created nothing for any of them", () => {
    expect(emu.stats().creates).toBe(0)
  })
})
