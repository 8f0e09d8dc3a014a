/**
 * `longsora generate` with provider-prefixed models, as real processes through the real AI SDK
 * provider packages: `--offline` (the embedded emulator's Gemini, fal and xAI dialects), the providers'
 * own key and base-URL env vars pointed at an emulator the test owns, and a run killed with
 * SIGKILL mid-way that the next run finishes by polling the recorded operation (one start per segment).
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
let reference: string

beforeAll(async () => {
  // Slow enough that a run can be killed while segment 2 renders.
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.15, fixedSeconds: 0.3 } })
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-ai-sdk-"))
  reference = join(dir, "reference.png")
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720", "-frames:v", "1", reference])
})

afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const prompt = "A paper boat sails down a rain-soaked street."
const VEO = "google:veo-3.1-generate-preview"
const WAN = "fal:wan-25-preview/image-to-video"
const GROK = "xai:grok-imagine-video"

const tagsOf = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { _tag: string; [key: string]: unknown })

const duration = (file: string) =>
  Number(
    execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString()
  )

/** Env for a run against the test's emulator through each provider's own settings. */
const providerEnv = () =>
  CliProcess.baseEnv({
    GOOGLE_GENERATIVE_AI_API_KEY: emu.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: emu.geminiBaseURL,
    FAL_KEY: emu.apiKey,
    FAL_BASE_URL: emu.falQueueURL,
    OPENAI_API_KEY: emu.apiKey,
    OPENAI_BASE_URL: emu.baseURL
  })

describe("longsora generate with AI SDK models", { timeout: 240_000 }, () => {
  it("--offline with Veo: 24 s in 3 segments is 8+8+8, joined", async () => {
    const output = join(dir, "veo-offline")
    const result = await CliProcess.run(
      [
        "generate",
        prompt,
        "--model",
        VEO,
        "--seconds",
        "24",
        "--segments",
        "3",
        "--offline",
        "--output",
        output,
        "--json"
      ],
      { env: CliProcess.baseEnv() }
    )
    expect(result.code, result.stderr).toBe(0)
    const final = tagsOf(result.stdout).at(-1)!
    expect(final).toMatchObject({ _tag: "Result", durations: [8, 8, 8], size: "1280x720" })
    expect(duration(join(output, "output.mp4"))).toBeCloseTo(24, 0)
  })

  it("--offline with a fal app and a first frame: joined with the capability's crossfade", async () => {
    const output = join(dir, "fal-offline")
    const result = await CliProcess.run(
      [
        ...["generate", prompt, "--model", WAN, "--seconds", "15", "--segments", "3"],
        ...["--input-reference", reference, "--offline", "--output", output, "--json"]
      ],
      { env: CliProcess.baseEnv() }
    )
    expect(result.code, result.stderr).toBe(0)
    expect(tagsOf(result.stdout).at(-1)).toMatchObject({
      _tag: "Result",
      durations: [5, 5, 5],
      joinMethod: "crossfade"
    })
    expect(existsSync(join(output, "output.mp4"))).toBe(true)
  })

  it("--offline with Grok Imagine: 2 segments through @ai-sdk/xai, joined, one start each", async () => {
    const output = join(dir, "grok-offline")
    const result = await CliProcess.run(
      [
        ...["generate", prompt, "--model", GROK, "--seconds", "4", "--segments", "2"],
        ...["--offline", "--output", output, "--json"]
      ],
      { env: CliProcess.baseEnv() }
    )
    expect(result.code, result.stderr).toBe(0)
    // Grok's first frame only conditions the clip, so the join crossfades (and overlaps) the segments.
    expect(tagsOf(result.stdout).at(-1)).toMatchObject({
      _tag: "Result",
      durations: [2, 2],
      size: "1280x720",
      joinMethod: "crossfade"
    })
    expect(duration(join(output, "output.mp4"))).toBeGreaterThan(3)
    expect((await Emulator.readDataDir(join(output, ".longsora", "emulator"))).creates).toBe(2)

    // The emulator speaks Grok Imagine's video API, not xAI's chat: planning with Grok offline is refused up front.
    const planning = await CliProcess.run(
      [
        ...["generate", prompt, "--model", GROK, "--plan-model", "xai:grok-4", "--seconds", "4", "--segments", "2"]
      ].concat(["--offline", "--dry-run", "--output", join(dir, "grok-plan")]),
      { env: CliProcess.baseEnv() }
    )
    expect(planning.code).not.toBe(0)
    expect(planning.stderr).toContain(
      "Invalid --offline: xai: language models. Allowed: language models of providers the emulator speaks: google, openai."
    )
  })

  it("the providers' own key and base-URL env vars reach an emulator started separately", async () => {
    const before = emu.stats().createsByDialect
    const veo = await CliProcess.run(
      [
        ...["generate", prompt, "--model", VEO, "--plan-model", "openai:gpt-5", "--seconds", "8", "--segments", "2"],
        ...["--yes", "--output", join(dir, "veo-env"), "--json"]
      ],
      { env: providerEnv() }
    )
    expect(veo.code, veo.stderr).toBe(0)
    const fal = await CliProcess.run(
      [
        ...["generate", prompt, "--model", WAN, "--plan-model", "openai:gpt-5", "--seconds", "10", "--segments", "2"],
        ...["--input-reference", reference, "--yes", "--output", join(dir, "fal-env")]
      ],
      { env: providerEnv() }
    )
    expect(fal.code, fal.stderr).toBe(0)
    // People read a job as fal's request id, not as the JSON handle the manifest keeps to poll it again.
    const queued = [...fal.stderr.matchAll(/^segment (\d): job (\S+) queued$/gm)].map((match) => match[2])
    expect(queued).toHaveLength(2)
    for (const id of queued) {
      expect(id).toMatch(/^[\w-]+$/)
      expect(fal.stdout).toContain(`. ${id}  ${join(dir, "fal-env", "segments")}`)
    }
    const after = emu.stats().createsByDialect
    expect(after.gemini - before.gemini).toBe(2)
    expect(after.fal - before.fal).toBe(2)
  })

  it("a Veo segment withheld by its safety filter: a moderation error naming the operation by its id, not the JSON handle", async () => {
    emu.setFaults({ moderation: { count: 1 } })
    const refused = await CliProcess.run(
      [
        ...["generate", prompt, "--model", VEO, "--plan-model", "openai:gpt-5", "--seconds", "4", "--segments", "1"],
        ...["--yes", "--output", join(dir, "veo-moderated")]
      ],
      { env: providerEnv() }
    )
    expect(refused.code).not.toBe(0)
    const named = /Segment 1 \(job ([^)]+)\) moderation/.exec(refused.stderr)
    expect(named, refused.stderr).not.toBeNull()
    expect(named![1]).toMatch(/^[\w-]+$/)
    expect(refused.stderr).toContain("Rephrase the segment's prompt")
  })

  it("SIGKILL during segment 2, then a rerun: it polls the recorded operation, one start per segment", async () => {
    const before = emu.stats().createsByDialect.gemini
    const output = join(dir, "veo-killed")
    const args = [
      ...["generate", prompt, "--model", VEO, "--plan-model", "openai:gpt-5", "--seconds", "12", "--segments", "3"],
      ...["--yes", "--output", output, "--json"]
    ]
    const first = CliProcess.start(args, { env: providerEnv() })
    await CliProcess.waitForLine(first, (line) => line.includes('"SegmentQueued"') && line.includes('"segment":2'))
    first.child.kill("SIGKILL")
    await first.finished
    const manifest = readFileSync(join(output, ".longsora", "manifest.json"), "utf8")
    expect(manifest).toContain("operationName")
    expect(manifest).not.toContain(emu.apiKey)
    const second = await CliProcess.run(args, { env: providerEnv() })
    expect(second.code, second.stderr).toBe(0)
    expect(tagsOf(second.stdout).filter((event) => event._tag === "SegmentReused").length).toBeGreaterThanOrEqual(2)
    expect(emu.stats().createsByDialect.gemini - before).toBe(3)
  })
})
