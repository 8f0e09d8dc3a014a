/**
 * Durable jobs with real processes: 20 long-video jobs at once from the `openai` package all
 * complete; a server killed with SIGKILL mid-job and started again on the same data directory
 * finishes every job without paying for any segment twice (creates counted by an emulator the test
 * owns, in another process than the server).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Emulator } from "@longsora/emulator"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const exec = promisify(execFile)
const tiny = "tiny:2,4:320x180:0.1"
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-durability-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const createParams = (prompt: string) =>
  ({ prompt, model: "tiny", seconds: "8", segments: 2 }) as unknown as OpenAI.Videos.VideoCreateParams

const allFinished = (client: OpenAI, ids: ReadonlyArray<string>, timeoutMs = 90_000) =>
  ServeProcess.until(
    async () => {
      const videos = await Promise.all(ids.map((id) => client.videos.retrieve(id)))
      return videos.every((v) => v.status === "completed" || v.status === "failed") ? videos : undefined
    },
    timeoutMs,
    250
  )

const durationOf = async (client: OpenAI, id: string) => {
  const file = join(dir, `${id}.mp4`)
  const response = await client.videos.downloadContent(id)
  const { writeFileSync } = await import("node:fs")
  writeFileSync(file, new Uint8Array(await response.arrayBuffer()))
  const { stdout } = await exec("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file])
  return Number(stdout.trim())
}

describe("longsora serve: durable jobs", { timeout: 180_000 }, () => {
  it("20 concurrent long-video jobs from the openai package all complete", async () => {
    const server = await ServeProcess.start([
      "--offline",
      "--data-dir",
      join(dir, "twenty"),
      "--gateway-model",
      tiny,
      "--concurrency",
      "10"
    ])
    try {
      const client = new OpenAI({ apiKey: "local", baseURL: server.baseURL, maxRetries: 0 })
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.videos.create(createParams(`Scene ${i}: a lantern sways.`)))
      )
      const videos = await allFinished(
        client,
        created.map((v) => v.id)
      )
      expect(videos.map((v) => v.status)).toEqual(Array(20).fill("completed"))
      expect(await durationOf(client, created[19]!.id)).toBeGreaterThan(7.5)
    } finally {
      await server.stop()
    }
  })

  it("SIGKILL mid-job, restart on the same data directory: every job completes, creates == segments", async () => {
    const emulator = await Emulator.start({
      render: { secondsPerVideoSecond: 0.15, fixedSeconds: 0.3 },
      models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
    })
    const dataDir = join(dir, "killed")
    const args = ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--gateway-model", tiny, "--concurrency", "3"]
    const env = ServeProcess.baseEnv({ OPENAI_API_KEY: emulator.apiKey })
    try {
      const first = await ServeProcess.start(args, env)
      const client = new OpenAI({ apiKey: "local", baseURL: first.baseURL, maxRetries: 0 })
      const jobs = 6
      const created = await Promise.all(
        Array.from({ length: jobs }, (_, i) => client.videos.create(createParams(`Take ${i}: a heron lifts off.`)))
      )
      // Killed once some segments are paid for and before every job is done.
      await ServeProcess.until(async () => (emulator.stats().creates >= jobs ? true : undefined), 60_000, 20)
      const before = await Promise.all(created.map((v) => client.videos.retrieve(v.id)))
      await first.kill()
      expect(before.some((v) => v.status !== "completed")).toBe(true)

      const second = await ServeProcess.start(args, env)
      try {
        const resumed = new OpenAI({ apiKey: "local", baseURL: second.baseURL, maxRetries: 0 })
        const videos = await allFinished(
          resumed,
          created.map((v) => v.id)
        )
        expect(videos.map((v) => [v.id, v.status, v.error])).toEqual(created.map((v) => [v.id, "completed", null]))
        // Two segments per job, each created exactly once across both server processes.
        expect(emulator.stats().creates).toBe(jobs * 2)
        for (const video of videos) {
          const replaced = (video as unknown as { longsora: { replaced_jobs: [] } }).longsora.replaced_jobs
          expect(replaced).toEqual([])
        }
        expect(await durationOf(resumed, created[0]!.id)).toBeGreaterThan(7.5)
      } finally {
        await second.stop()
      }
    } finally {
      await emulator.close()
    }
  })
})
