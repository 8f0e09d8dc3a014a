/** Shared by the AI SDK generator tests: an emulator per test, a reference picture, fast polling. */
import { execFile, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Emulator } from "@longsora/emulator"
import { Effect, Redacted } from "effect"
import type * as AiSdkSegmentGenerator from "../src/AiSdkSegmentGenerator.ts"

export const run = promisify(execFile)

/** A started emulator, closed with the test's scope. */
export const emulator = (options: Emulator.EmulatorOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => Emulator.start({ render: { secondsPerVideoSecond: 0.02, fixedSeconds: 0.1 }, ...options })),
    (emu) => Effect.promise(() => emu.close())
  )

/** A temp directory removed with the test's scope. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "longsora-ai-sdk-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** A solid-colour PNG of `size`, made by ffmpeg. */
export const picture = (dir: string, size: string, color = "orange") =>
  Effect.promise(async () => {
    const path = join(dir, `${color}-${size}.png`)
    await run("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `color=c=${color}:s=${size}`,
      "-frames:v",
      "1",
      path
    ])
    return path
  })

/** Polls about every 50 ms: the emulator renders a clip in well under a second. */
export const fastPolling = {
  expectedRenderMs: () => 300,
  minIntervalMs: 30,
  firstPollMs: 50,
  averageIntervalMs: 50,
  maxIntervalMs: 200,
  timeoutMs: 30_000
}

/** Generator options pointing Google, fal and xAI at the emulator. */
export const viaEmulator = (emu: Emulator.RunningEmulator): AiSdkSegmentGenerator.Options => ({
  connections: {
    google: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.geminiBaseURL },
    fal: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.falQueueURL },
    xai: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.xaiBaseURL }
  },
  polling: fastPolling,
  retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 100 }
})

export const ffprobe = (path: string) =>
  Effect.promise(async () => {
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_streams", "-of", "json", path])
    return JSON.parse(stdout) as { streams: Array<{ codec_type: string; width?: number; height?: number }> }
  })

/** `longsora-emulator` in its own process on `dataDir`, stopped with the test's scope. */
export const childEmulator = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const bin = fileURLToPath(new URL("../../emulator/src/bin.ts", import.meta.url))
      const child = spawn(process.execPath, [bin, "--port", "0", "--data-dir", dataDir], {
        stdio: ["ignore", "pipe", "ignore"]
      })
      const baseURL = await new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))
        child.once("exit", (code) => reject(new Error(`emulator exited (${code}) before it listened`)))
      })
      return { child, origin: new URL(baseURL).origin }
    }),
    ({ child }) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve()
            child.once("exit", () => resolve())
            child.kill("SIGTERM")
          })
      )
  )
