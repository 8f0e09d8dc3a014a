/**
 * Input that must be refused before anything is paid or written, driven through the real `longsora`
 * process against an emulator the test owns (so creates are counted): references that do not decode,
 * a user's own output.mp4, and totals far beyond a run. And how the command talks: errors in the
 * flags the user typed, parse errors on stderr with a hint, full stops, help with defaults.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator
let dir: string

beforeAll(async () => {
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.05, fixedSeconds: 0.2 } })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-inputs-"))
  const image = (name: string) => {
    const file = join(dir, name)
    execFileSync(
      process.env.FFMPEG_PATH ?? "ffmpeg",
      ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480"].concat(["-frames:v", "1", "-y", file])
    )
    return readFileSync(file)
  }
  const jpeg = image("good.jpg")
  const png = image("good.png")
  // The header (and so the size an image's metadata reports) is intact; the pixels stop halfway.
  writeFileSync(join(dir, "truncated.jpg"), jpeg.subarray(0, jpeg.length >> 1))
  writeFileSync(join(dir, "truncated.png"), png.subarray(0, png.length >> 1))
  writeFileSync(join(dir, "text.png"), "not an image, whatever the name says\n")
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const prompt = "A lighthouse keeper climbs the stairs at dusk."
const env = () => CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey })
const oneSegment = ["--seconds", "4", "--segments", "1"]
const generateWith = (length: ReadonlyArray<string>, output: string, ...args: ReadonlyArray<string>) =>
  CliProcess.run(["generate", prompt, ...length, "--yes", "--base-url", emu.baseURL, "--output", output, ...args], {
    cwd: dir,
    env: env()
  })
const generate = (output: string, ...args: ReadonlyArray<string>) => generateWith(oneSegment, output, ...args)

describe("longsora generate refuses bad input before writing anything", { timeout: 120_000 }, () => {
  it.concurrent.each(["truncated.jpg", "truncated.png", "text.png"])(
    "a reference that does not decode (%s): exit 2, no output directory, nothing created",
    async (image) => {
      const before = emu.stats().creates
      const output = join(dir, `out-${image}`)
      const result = await generate(output, "--input-reference", image)
      expect(result.stderr).toMatch(
        new RegExp(`Invalid --input-reference: ${image.replace(".", "\\.")}.*could not be read`)
      )
      expect(result.code).toBe(2)
      expect(existsSync(output)).toBe(false)
      expect(emu.stats().creates).toBe(before)
    }
  )

  it("the same command with a good image then makes the video, and running it again pays nothing", async () => {
    const before = emu.stats().creates
    const output = join(dir, "out-truncated.jpg")
    const result = await generate(output, "--input-reference", "good.jpg")
    expect(result.stderr).not.toMatch(/error/)
    expect(result.code).toBe(0)
    expect(existsSync(join(output, "output.mp4"))).toBe(true)
    expect(emu.stats().creates - before).toBe(1)
    // Its own output.mp4 (the manifest names it) is no reason to ask for --force.
    const again = await generate(output, "--input-reference", "good.jpg")
    expect(again.code).toBe(0)
    expect(emu.stats().creates - before).toBe(1)
  })

  it("a user's own output.mp4 is not overwritten without --force, and nothing is created", async () => {
    const before = emu.stats().creates
    const output = join(dir, "users-own")
    rmSync(output, { recursive: true, force: true })
    const mine = join(output, "output.mp4")
    mkdirSync(output, { recursive: true })
    writeFileSync(mine, "my holiday video")
    const refused = await generate(output)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/Invalid --output: .*output\.mp4 was not made by a LongSora run.*pass --force/)
    expect(readFileSync(mine, "utf8")).toBe("my holiday video")
    expect(existsSync(join(output, ".longsora"))).toBe(false)
    expect(emu.stats().creates).toBe(before)

    const forced = await generate(output, "--force")
    expect(forced.code).toBe(0)
    expect(readFileSync(mine).subarray(4, 8).toString("latin1")).toBe("ftyp")
    expect(emu.stats().creates - before).toBe(1)
  })

  const oneSegmentAnd = (...args: ReadonlyArray<string>) => [...oneSegment, ...args]
  it.concurrent.each([
    {
      name: "--seconds 1000001",
      length: ["--seconds", "1000001"],
      message: /Invalid --seconds: 1000001\. Allowed: a whole number of seconds from 1 to 3600 for sora-2/
    },
    {
      name: "--seconds 3000000",
      length: ["--seconds", "3000000"],
      message: /Invalid --seconds: 3000000\..*at most 3600 s/
    },
    { name: "--seconds 1e9", length: ["--seconds", "1e9"], message: /Invalid --seconds: 1000000000\..*at most 3600 s/ },
    {
      name: "--segments 1000000",
      length: ["--seconds", "24", "--segments", "1000000"],
      message: /Invalid --segments: 1000000\. Allowed: .* from 1 to 300/
    },
    {
      name: "301 --durations",
      length: ["--durations", Array(301).fill(4).join(",")],
      message: /Invalid --durations: 301 lengths\. Allowed: 1 to 300 clip lengths/
    },
    {
      name: "--max-concurrency 0",
      length: oneSegmentAnd("--max-concurrency", "0"),
      message: /Invalid --max-concurrency: 0\. Allowed: .* from 1 to 300/
    },
    {
      name: "--confirm-above -1",
      length: oneSegmentAnd("--confirm-above", "-1"),
      message: /Invalid --confirm-above: -1\. Allowed: a price of 0 or more USD/
    },
    {
      name: "--size 100000x100000 for a declared model",
      length: oneSegmentAnd("--clip-seconds", "4", "--size", "100000x100000"),
      message: /Invalid --size: 100000x100000\. Allowed: WIDTHxHEIGHT with each side from 1 to 4096 pixels/
    },
    {
      name: "--clip-seconds 4-1000000",
      length: oneSegmentAnd("--clip-seconds", "4-1000000"),
      message: /Invalid --clip-seconds: 4-1000000\. Allowed: .* from 1 to 60 s/
    }
  ])(
    "$name is refused at once with its bound, nothing created (huge values used to hang or be paid for)",
    async ({ length, message }) => {
      const before = emu.stats().creates
      const result = await generateWith(length, join(dir, "huge"))
      expect(result.stderr.replace(/\s+/g, " ")).toMatch(message)
      expect(result.code).toBe(2)
      expect(existsSync(join(dir, "huge"))).toBe(false)
      expect(emu.stats().creates).toBe(before)
    }
  )
})

describe("longsora plan checks where the plan goes before paying the planner", { timeout: 60_000 }, () => {
  it("an --out in a missing directory: exit 2 and no request to the server", async () => {
    const before = emu.stats().requests
    const result = await CliProcess.run(
      ["plan", prompt, "--seconds", "8", "--segments", "2", "--base-url", emu.baseURL].concat([
        "--out",
        join(dir, "missing", "plan.json")
      ]),
      { cwd: dir, env: env() }
    )
    expect(result.stderr).toMatch(/Invalid --out: .*plan\.json\. Allowed: a file in an existing directory/)
    expect(result.code).toBe(2)
    expect(emu.stats().requests).toBe(before)
  })
})

describe("longsora talks in its own flags", { timeout: 120_000 }, () => {
  it("a flag-parse error goes to stderr with a one-line hint, not the help", async () => {
    const result = await CliProcess.run(["generate", prompt, "--bogus"], { env: env() })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: .*--bogus/),
      "Run `longsora generate --help` for the flags."
    ])
  })

  it("--help stays on stdout and shows the defaults; plan lists only the flags it uses", async () => {
    const generateHelp = await CliProcess.run(["generate", "--help"], { env: env() })
    expect(generateHelp.code).toBe(0)
    expect(generateHelp.stdout).toMatch(/--model string +Video model: .*\(default sora-2\)/)
    expect(generateHelp.stdout).toMatch(/--plan-model string +Model that writes the plan: .*\(default gpt-5\)/)
    expect(generateHelp.stdout).toMatch(/--output, -o string +Output directory \(default longsora-output\)/)
    expect(generateHelp.stdout).toMatch(/--force /)
    const planHelp = await CliProcess.run(["plan", "--help"], { env: env() })
    expect(planHelp.code).toBe(0)
    expect(planHelp.stdout).toContain("--seconds")
    expect(planHelp.stdout).not.toMatch(/--output|--transition|--force|--resume/)
  })

  it("longsora emulator has every flag of longsora-emulator, with the same defaults (one table)", async () => {
    const flagLines = (help: string) =>
      help
        .slice(help.indexOf("FLAGS"), help.indexOf("GLOBAL FLAGS"))
        .split("\n")
        .filter((line) => line.trim().startsWith("--"))
    const ours = await CliProcess.run(["emulator", "--help"], { env: env() })
    const emulatorBin = fileURLToPath(new URL("../../emulator/dist/bin.js", import.meta.url))
    const theirs = execFileSync(process.execPath, [emulatorBin, "--help"], { encoding: "utf8" })
    expect(flagLines(ours.stdout).length).toBeGreaterThanOrEqual(22)
    expect(flagLines(ours.stdout)).toEqual(flagLines(theirs))
    expect(ours.stdout).toMatch(/--seconds-per-video-second number +.*\(default 0\.02\)/)
    expect(ours.stdout).toMatch(/--rate-limit COUNT\[:RETRY_AFTER_MS\]/)
  })

  it("--version is the package's", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string
    }
    const result = await CliProcess.run(["--version"], { env: env() })
    expect(result.stdout.trim()).toBe(`longsora v${version}`)
  })

  it("a segment that times out says so in whole sentences", async () => {
    const stuck = await Emulator.start({ faults: { stuck: { count: 1 } } })
    try {
      const result = await CliProcess.run(
        ["generate", prompt, "--seconds", "4", "--segments", "1", "--yes", "--base-url", stuck.baseURL].concat([
          "--output",
          join(dir, "stuck")
        ]),
        { cwd: dir, env: CliProcess.baseEnv({ OPENAI_API_KEY: stuck.apiKey, LONGSORA_POLL_TIMEOUT_MS: "1500" }) }
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/timeout: job \S+ was still queued \(0%\) after 2 s\. Raise the poll timeout/)
      expect(result.stderr.trim()).toMatch(/\.$/)
    } finally {
      await stuck.close()
    }
  })
})
