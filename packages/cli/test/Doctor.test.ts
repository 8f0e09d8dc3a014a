import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nodeCheck } from "../src/DoctorRun.ts"
import * as CliProcess from "./CliProcess.ts"

let emu: Emulator.RunningEmulator

beforeAll(async () => {
  emu = await Emulator.start()
})

afterAll(async () => {
  await emu.close()
})

describe("longsora doctor", { timeout: 120_000 }, () => {
  it("passes against a reachable endpoint that takes the key", async () => {
    const result = await CliProcess.run(["doctor", "--base-url", emu.baseURL, "--json"], {
      env: CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey })
    })
    const { checks } = JSON.parse(result.stdout) as { checks: Array<{ name: string; ok: boolean }> }
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ["node", true],
      ["ffmpeg", true],
      ["key", true],
      ["endpoint", true]
    ])
    expect(result.code).toBe(0)
  })

  it("checks each configured AI SDK provider (package, endpoint) instead of a missing OpenAI key", async () => {
    const result = await CliProcess.run(["doctor", "--json"], {
      env: CliProcess.baseEnv({
        GOOGLE_GENERATIVE_AI_API_KEY: emu.apiKey,
        GOOGLE_GENERATIVE_AI_BASE_URL: emu.geminiBaseURL,
        FAL_KEY: emu.apiKey,
        FAL_BASE_URL: "http://127.0.0.1:9/fal/queue"
      })
    })
    const { checks } = JSON.parse(result.stdout) as { checks: Array<{ name: string; ok: boolean; fix?: string }> }
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ["node", true],
      ["ffmpeg", true],
      ["google", true],
      ["fal", false]
    ])
    expect(checks.at(-1)?.fix).toContain("FAL_BASE_URL")
    expect(result.stdout).not.toContain(emu.apiKey)
    expect(result.code).toBe(1)
  })

  it("fails with the fix for a missing key, a rejected key and a missing ffmpeg, and never prints the key", async () => {
    const key = "sk-doctor-test-DO-NOT-PRINT-1234567890"
    const result = await CliProcess.run(["doctor", "--base-url", emu.baseURL], {
      env: CliProcess.baseEnv({ OPENAI_API_KEY: key, FFMPEG_PATH: "/nonexistent/ffmpeg" })
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✗ ffmpeg: .*\n {4}fix: Install ffmpeg/)
    expect(result.stdout).toMatch(/✗ endpoint: .* rejected the key \(401\)\n {4}fix: Check OPENAI_API_KEY/)
    expect(result.stdout + result.stderr).not.toContain(key)
    const noKey = await CliProcess.run(["doctor", "--base-url", emu.baseURL])
    expect(noKey.stdout).toMatch(/✗ key: OPENAI_API_KEY is not set\n {4}fix: .*--offline/)
  })

  it("judges Node versions", () => {
    expect(nodeCheck("22.19.0").ok).toBe(true)
    expect(nodeCheck("24.1.0").ok).toBe(true)
    expect(nodeCheck("22.18.9")).toMatchObject({ ok: false, fix: expect.stringContaining("22.19") })
    expect(nodeCheck("20.20.2").ok).toBe(false)
  })
})
