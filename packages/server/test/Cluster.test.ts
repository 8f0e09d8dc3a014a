/**
 * Many runners: two `longsora serve --database postgres://…` processes on a real PostgreSQL server
 * share the jobs through Effect's cluster. The runner holding a job is SIGKILLed mid-job; the other
 * one finishes every job (even with the killed runner's run lock made foreign, as if from another
 * host), and the emulator (in the test process) counts one create per segment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as PgServer from "./PgServer.ts"
import * as ServeProcess from "./ServeProcess.ts"

const tiny = "tiny:2,4:320x180:0.1"
let dir: string
let pg: PgServer.PgServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-cluster-"))
  pg = await PgServer.start()
}, 60_000)

afterAll(async () => {
  await pg?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

describe("longsora serve --database: several runners", { timeout: 180_000 }, () => {
  it("SIGKILL of the runner holding a job: another runner finishes it, creates == segments", async () => {
    const emulator = await Emulator.start({
      render: { secondsPerVideoSecond: 0.15, fixedSeconds: 0.3 },
      models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
    })
    const env = ServeProcess.baseEnv({ OPENAI_API_KEY: emulator.apiKey })
    const runner = async () =>
      ServeProcess.start(
        [
          "--base-url",
          emulator.baseURL,
          "--data-dir",
          join(dir, "shared"),
          "--database",
          pg.url,
          "--runner-port",
          String(await freePort()),
          "--gateway-model",
          tiny
        ],
        env
      )
    const first = await runner()
    const second = await runner()
    const runners: Array<ServeProcess.Serving> = [first, second]
    try {
      const client = new OpenAI({ apiKey: "local", baseURL: first.baseURL, maxRetries: 0 })
      const jobs = 4
      const created = await Promise.all(
        Array.from({ length: jobs }, (_, i) =>
          client.videos.create({
            prompt: `Shot ${i}: snow falls on a train platform.`,
            model: "tiny",
            seconds: "8",
            segments: 2
          } as unknown as OpenAI.Videos.VideoCreateParams)
        )
      )
      // The runner that holds a job, once that job has paid for a segment and is not finished.
      const holding = await ServeProcess.until(
        async () => {
          for (const video of created) {
            const state = await client.videos.retrieve(video.id)
            const segments = (state as unknown as { longsora: { segments: Array<{ job_id: string | null }> } }).longsora
              .segments
            if (state.status !== "in_progress" || segments[0]!.job_id === null) continue
            const holder = runners.find((r) => r.output().includes(`job ${video.id} running on this runner`))
            if (holder) return { holder, id: video.id }
          }
          return undefined
        },
        60_000,
        50
      )
      await holding.holder.kill()
      // As if the killed runner had run on another host: its run lock can be neither checked nor taken
      // over, yet the runner that gets the job's shard finishes it.
      const lock = join(dir, "shared", "jobs", holding.id, ".longsora", "lock")
      writeFileSync(lock, JSON.stringify({ pid: 1, host: "another-host", startedAt: Date.now() }))
      const survivor = runners.find((r) => r !== holding.holder)!
      expect(survivor.output()).not.toContain(`job ${holding.id} running on this runner`)
      // A runner started meanwhile re-sends the unfinished jobs' Run: deduplicated, nothing runs twice.
      runners.push(await runner())
      const resumed = new OpenAI({ apiKey: "local", baseURL: survivor.baseURL, maxRetries: 0 })
      const videos = await ServeProcess.until(
        async () => {
          const all = await Promise.all(created.map((v) => resumed.videos.retrieve(v.id)))
          return all.every((v) => v.status === "completed" || v.status === "failed") ? all : undefined
        },
        120_000,
        250
      )
      expect(videos.map((v) => [v.status, v.error])).toEqual(Array(jobs).fill(["completed", null]))
      expect(emulator.stats().creates).toBe(jobs * 2)
      // The killed runner's job was taken over and finished by another runner.
      expect(
        runners
          .filter((r) => r !== holding.holder)
          .some((r) => r.output().includes(`job ${holding.id} running on this runner`))
      ).toBe(true)
    } finally {
      await Promise.all(runners.map((r) => r.stop()))
      await emulator.close()
    }
  })
  it("a failed job retried, then a segment regenerated: each is a new Run message (not deduplicated), one create each", async () => {
    const emulator = await Emulator.start({
      render: { secondsPerVideoSecond: 0.05, fixedSeconds: 0.3 },
      models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
    })
    const runner = await ServeProcess.start(
      [
        ...["--base-url", emulator.baseURL, "--data-dir", join(dir, "retry"), "--database", pg.url],
        ...["--runner-port", String(await freePort()), "--gateway-model", tiny]
      ],
      ServeProcess.baseEnv({ OPENAI_API_KEY: emulator.apiKey })
    )
    try {
      const client = new OpenAI({ apiKey: "local", baseURL: runner.baseURL, maxRetries: 0 })
      const video = await client.videos.create({
        prompt: "A ferry leaves the harbour.",
        model: "tiny",
        seconds: "4",
        segments: 2
      } as unknown as OpenAI.Videos.VideoCreateParams)
      // Segment 1 is created; segment 2's create ends moderation_blocked.
      await ServeProcess.until(async () => (emulator.stats().creates > 0 ? true : undefined), 30_000, 5)
      emulator.setFaults({ moderation: { count: 1 } })
      const settled = () =>
        ServeProcess.until(async () => {
          const state = await client.videos.retrieve(video.id)
          return state.status === "completed" || state.status === "failed" ? state : undefined
        })
      expect((await settled()).status).toBe("failed")
      const retried = await fetch(`${runner.baseURL}/videos/${video.id}/retry`, { method: "POST" })
      expect(retried.status).toBe(200)
      const done = await settled()
      expect([done.status, done.error]).toEqual(["completed", null])
      expect(emulator.stats().creates).toBe(3)

      // A regenerate is a new attempt as well: the job runs again, segment 2 once more.
      const regenerated = await fetch(`${runner.baseURL}/videos/${video.id}/regenerate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ segment: 2 })
      })
      expect(regenerated.status).toBe(200)
      const redone = await ServeProcess.until(async () => {
        const state = await client.videos.retrieve(video.id)
        return state.status === "completed" && emulator.stats().creates === 4 ? state : undefined
      }, 30_000)
      expect(redone.error).toBeNull()
    } finally {
      await runner.stop()
      await emulator.close()
    }
  })
})
