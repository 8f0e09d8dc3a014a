/**
 * `POST /v1/videos/{id}/retry` on a real `longsora serve` against an emulator in another process
 * (creates counted by the emulator): a failed job runs again in place and pays only for what is
 * missing; only the owner's failed jobs can be retried; a create whose answer was lost (an AI SDK
 * model, which cannot look a job up) stays a failure until the retry says `recreate_lost`, which
 * survives the server being killed while that attempt waits.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const tiny = "tiny:2,4:320x180:0.1"
const VEO = "google:veo-3.1-generate-preview"

let dir: string
let emulator: Emulator.RunningEmulator

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-retry-"))
  emulator = await Emulator.start({
    // Slow enough to change the emulator's faults between two segments' creates.
    render: { secondsPerVideoSecond: 0.05, fixedSeconds: 0.3 },
    models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
  })
})

afterAll(async () => {
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = () =>
  ServeProcess.baseEnv({
    OPENAI_API_KEY: emulator.apiKey,
    GOOGLE_GENERATIVE_AI_API_KEY: emulator.apiKey,
    GOOGLE_GENERATIVE_AI_BASE_URL: emulator.geminiBaseURL
  })

interface Video {
  readonly id: string
  readonly status: string
  readonly completed_at: number | null
  /** The job's error, or (an answer that is not a Video) the error envelope's. */
  readonly error: {
    readonly code: string
    readonly message: string
    readonly type?: string
    readonly param?: string | null
  } | null
  readonly longsora: {
    readonly segments: ReadonlyArray<{ readonly state: string }>
    readonly replaced_jobs: ReadonlyArray<{ readonly segment: number; readonly reason: string }>
  }
}

/** One call to the API as JSON: status and body (a Video, or the error envelope). */
const call = async (
  baseURL: string,
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown
): Promise<{ status: number; body: Video }> => {
  const response = await fetch(`${baseURL}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: (await response.json()) as Video }
}

const retrieve = async (baseURL: string, key: string | undefined, id: string) =>
  (await call(baseURL, key, "GET", `/videos/${id}`)).body

const settled = (baseURL: string, key: string | undefined, id: string, timeoutMs = 60_000) =>
  ServeProcess.until(
    async () => {
      const video = await retrieve(baseURL, key, id)
      return video.status === "completed" || video.status === "failed" ? video : undefined
    },
    timeoutMs,
    100
  )

const issue = async (dataDir: string, name: string) => {
  const result = await ServeProcess.run(["serve", "keys", "create", name, "--data-dir", dataDir])
  expect(result.code).toBe(0)
  return result.stdout.trim()
}

/** The job's event stream from the start to its final event, as `event` names and `_tag`s. */
const replayEvents = async (baseURL: string, key: string, id: string) => {
  const response = await fetch(`${baseURL}/videos/${id}/events`, { headers: { authorization: `Bearer ${key}` } })
  const text = await response.text()
  return [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((match) => ({
    event: match[1]!,
    tag: (JSON.parse(match[2]!) as { _tag: string })._tag
  }))
}

describe("longsora serve: retrying a failed job", { timeout: 120_000 }, () => {
  it("segment 2 refused by moderation: failed; retry completes with creates == segments + 1, only the owner's failed job", async () => {
    const dataDir = join(dir, "moderation")
    const alice = await issue(dataDir, "alice")
    const bob = await issue(dataDir, "bob")
    const server = await ServeProcess.start(
      ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--gateway-model", tiny],
      env()
    )
    try {
      const before = emulator.stats().creates
      const created = await call(server.baseURL, alice, "POST", "/videos", {
        prompt: "A lantern sways on a porch at dusk.",
        model: "tiny",
        seconds: "6",
        segments: 3
      })
      expect(created.status).toBe(200)
      const id = created.body.id
      // A job that has not failed is refused, and nothing is made for it.
      const early = await call(server.baseURL, alice, "POST", `/videos/${id}/retry`)
      expect(early.status).toBe(409)
      expect(early.body.error).toMatchObject({ type: "invalid_request_error", code: "video_not_failed" })
      expect(early.body.error?.message).toMatch(/is (queued|in_progress); only a failed video can be retried/)

      // Segment 1 is created; the next create (segment 2, after segment 1's clip) ends moderation_blocked.
      await ServeProcess.until(async () => (emulator.stats().creates > before ? true : undefined), 30_000, 5)
      emulator.setFaults({ moderation: { count: 1 } })
      const failed = await settled(server.baseURL, alice, id)
      expect(failed.status).toBe("failed")
      expect(failed.error?.code).toBe("moderation_blocked")
      expect(failed.error?.message).toContain(`POST /v1/videos/${id}/retry`)
      expect(emulator.stats().creates - before).toBe(2)

      // Another key's job reads as missing, as on retrieve and delete.
      const asBob = await call(server.baseURL, bob, "POST", `/videos/${id}/retry`)
      expect(asBob.status).toBe(404)
      expect(asBob.body.error?.code).toBe("not_found")
      const badBody = await call(server.baseURL, alice, "POST", `/videos/${id}/retry`, { recreate_lost: "yes" })
      expect(badBody.status).toBe(400)
      expect(badBody.body.error?.param).toBe("recreate_lost")
      expect(emulator.stats().creates - before).toBe(2)

      const retried = await call(server.baseURL, alice, "POST", `/videos/${id}/retry`)
      expect(retried.status).toBe(200)
      expect(retried.body).toMatchObject({ id, object: "video", status: "queued", error: null, completed_at: null })
      const done = await settled(server.baseURL, alice, id)
      expect(done.status).toBe("completed")
      expect(done.error).toBeNull()
      // Segment 1 reused, segment 2 created again once (its failed job replaced), segment 3 created once.
      expect(emulator.stats().creates - before).toBe(4)
      expect(done.longsora.replaced_jobs.map((job) => [job.segment, job.reason])).toEqual([[2, "failed"]])
      expect(done.longsora.segments.map((segment) => segment.state)).toEqual(["completed", "completed", "completed"])

      // The stream replays both attempts: failed, retried, then on to completed.
      const events = (await replayEvents(server.baseURL, alice, id)).map((e) => e.event)
      expect(events.filter((event) => event !== "progress")).toEqual(["failed", "retried", "completed"])

      // A completed job is not retried.
      const again = await call(server.baseURL, alice, "POST", `/videos/${id}/retry`, {})
      expect(again.status).toBe(409)
      expect(again.body.error?.message).toMatch(/is completed; only a failed video can be retried/)
      expect(emulator.stats().creates - before).toBe(4)
    } finally {
      await server.stop()
    }
  })

  it("an AI SDK create whose answer was lost: failed naming recreate_lost, a plain retry stops again, recreate_lost survives a SIGKILL and completes", async () => {
    const dataDir = join(dir, "lost")
    const args = ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--concurrency", "1"]
    const creates = () => emulator.stats().createsByDialect.gemini
    const before = creates()
    let server = await ServeProcess.start(args, env())
    try {
      // Segment 1's start makes its job, and the answer is lost.
      emulator.setFaults({ loseCreateResponse: { count: 1 } })
      const lost = (
        await call(server.baseURL, undefined, "POST", "/videos", {
          prompt: "A heron lifts off a misty pond.",
          model: VEO,
          seconds: "8",
          segments: 2
        })
      ).body as Video
      const failed = await settled(server.baseURL, undefined, lost.id)
      expect(failed.status).toBe("failed")
      expect(failed.error?.code).toBe("segment_create_lost")
      expect(failed.error?.message).toContain(`POST /v1/videos/${lost.id}/retry with {"recreate_lost": true}`)
      expect(failed.error?.message).not.toContain("--recreate-lost")
      expect(creates() - before).toBe(1)

      // Killed and started again: still failed, with the same advice.
      await server.kill()
      server = await ServeProcess.start(args, env())
      expect((await retrieve(server.baseURL, undefined, lost.id)).error).toEqual(failed.error)

      // Without recreate_lost the lost create is never guessed at: failed the same way, nothing created.
      const plain = await call(server.baseURL, undefined, "POST", `/videos/${lost.id}/retry`)
      expect(plain.status).toBe(200)
      const again = await settled(server.baseURL, undefined, lost.id)
      expect(again.status).toBe("failed")
      expect(again.error?.code).toBe("segment_create_lost")
      expect(creates() - before).toBe(1)

      // Another job holds the only slot (its clip never finishes), so the retry below waits queued.
      emulator.setFaults({ stuck: { count: 1 } })
      const holder = (
        await call(server.baseURL, undefined, "POST", "/videos", {
          prompt: "A clock that never strikes.",
          model: VEO,
          seconds: "4"
        })
      ).body as Video
      await ServeProcess.until(async () => (creates() - before === 2 ? true : undefined), 30_000, 20)
      const asked = await call(server.baseURL, undefined, "POST", `/videos/${lost.id}/retry`, { recreate_lost: true })
      expect(asked.status).toBe(200)
      expect(asked.body.status).toBe("queued")

      // Killed while that attempt waits: the restarted server still knows to start the lost create anew.
      await server.kill()
      expect(creates() - before).toBe(2)
      server = await ServeProcess.start(args, env())
      expect((await call(server.baseURL, undefined, "DELETE", `/videos/${holder.id}`)).status).toBe(200)
      const done = await settled(server.baseURL, undefined, lost.id)
      expect(done.status, JSON.stringify(done.error)).toBe("completed")
      // The lost start, the holder's, then segment 1 anew and segment 2.
      expect(creates() - before).toBe(4)
    } finally {
      emulator.setFaults({})
      await server.stop()
    }
  })
})
