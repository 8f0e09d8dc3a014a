/**
 * Runs every example in `examples/` as a real process, offline (each starts its own emulator when
 * OPENAI_BASE_URL is not set): this is how CI keeps the examples working.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import * as Media from "./Media.ts"

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url))

const examples: ReadonlyArray<{ readonly name: string; readonly seconds: number }> = [
  { name: "basic", seconds: 8 },
  { name: "custom-durations", seconds: 12 },
  { name: "swap-planner", seconds: 8 },
  { name: "gateway", seconds: 10 },
  { name: "google-veo", seconds: 24 }
]

/** No key or base URL from the developer's shell: the examples must run offline. */
const offlineEnv = (): NodeJS.ProcessEnv => {
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, GOOGLE_GENERATIVE_AI_API_KEY: _google, ...rest } = process.env
  return rest
}

const run = (script: string, cwd: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd, env: offlineEnv(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe.concurrent("examples", { timeout: 600_000 }, () => {
  it.each(examples)("$name runs offline and writes output.mp4", async ({ name, seconds }) => {
    const dir = Media.tempDir(`example-${name}`)
    try {
      const result = await run(join(examplesDir, name, "src", "main.ts"), dir.path)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/^Video: .*output\.mp4/m)
      const output = join(dir.path, "longsora-output", name, "output.mp4")
      expect(existsSync(output)).toBe(true)
      expect((await Media.probe(output)).duration).toBeCloseTo(seconds, 0)
    } finally {
      dir.remove()
    }
  })
})
