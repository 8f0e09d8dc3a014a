/**
 * `POST /v1/videos/{id}/regenerate` on a real `longsora serve` against an emulator in another process
 * (creates counted by the emulator): segment 2 of a chained job made again with a new prompt (and
 * segment 3 after it), the earlier clips kept as versions; refusals (a running job, another key's, a
 * segment out of range, a prompt for segment 1, a failed job, the key's seconds per day) create
 * nothing and touch no file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const tiny = "tiny:2,4:320x180:0.1"

let dir: string
let dataDir: string
let emulator: Emulator.RunningEmulator
let server: ServeProcess.Serving
let alice: string
let bob: string
let tight: string

interface Video {
  readonly id: string
  readonly status: string
  readonly error: { readonly code: string; readonly message: string; readonly param?: string | null } | null
  readonly longsora: {
    readonly plan: { readonly segments: ReadonlyArray<{ readonly prompt: string }> } | null
    readonly segments: ReadonlyArray<{ readonly state: string; readonly job_id: string | null }>
    readonly regenerating: { readonly segments: ReadonlyArray<number>; readonly seconds: number } | null
  }
}

interface Manifest {
  readonly versions?: ReadonlyArray<{
    readonly segment: number
    readonly version: number
    readonly jobId: string
    readonly prompt?: string
  }>
  readonly regenerating?: unknown
}

const issue = async (name: string, ...flags: Array<string>) => {
  const result = await ServeProcess.run(["serve", "keys", "create", name, ...flags, "--data-dir", dataDir])
  expect(result.code).toBe(0)
  return result.stdout.trim()
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-regenerate-"))
  dataDir = join(dir, "data")
  emulator = await Emulator.start({
    render: { secondsPerVideoSecond: 0.02, fixedSeconds: 0.2 },
    models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
  })
  alice = await issue("alice")
  bob = await issue("bob")
  tight = await issue("tight", "--seconds-per-day", "8")
  server = await ServeProcess.start(
    ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--gateway-model", tiny],
    ServeProcess.baseEnv({ OPENAI_API_KEY: emulator.apiKey })
  )
})

afterAll(async () => {
  await server?.stop()
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** One call to the API as JSON: status and body (a Video, or the error envelope). */
const call = async (key: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.baseURL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: (await response.json()) as Video }
}

const regenerate = (key: string, id: string, body: unknown) => call(key, "POST", `/videos/${id}/regenerate`, body)

const settled = (key: string, id: string) =>
  ServeProcess.until(
    async () => {
      const video = (await call(key, "GET", `/videos/${id}`)).body
      return video.status === "completed" || video.status === "failed" ? video : undefined
    },
    60_000,
    100
  )

/** A chained job of `segments` × 2 s, made to the end. */
const made = async (key: string, prompt: string, segments: number) => {
  const created = await call(key, "POST", "/videos", { prompt, model: "tiny", seconds: String(2 * segments), segments })
  expect(created.status).toBe(200)
  return created.body.id
}

const manifestText = (id: string) => readFileSync(join(dataDir, "jobs", id, ".longsora", "manifest.json"), "utf8")

/** The job's event stream from the start to its final event: the named events, in order. */
const namedEvents = async (key: string, id: string) => {
  const response = await fetch(`${server.baseURL}/videos/${id}/events`, { headers: { authorization: `Bearer ${key}` } })
  const text = await response.text()
  return [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]!).filter((event) => event !== "progress")
}

describe("longsora serve: POST /v1/videos/{id}/regenerate", { timeout: 120_000 }, () => {
  it("segment 2 of a chained 3-segment job with a new prompt: 200 queued, segments 2 and 3 made again (creates +2), the replaced jobs kept as versions, the prompt in the plan; refusals (and a second regenerate at once) create nothing", async () => {
    const before = emulator.stats().creates
    const id = await made(alice, "A paper boat drifts down a rain gutter.", 3)
    // Still running: refused, nothing set aside.
    const early = await regenerate(alice, id, { segment: 2 })
    expect(early.status).toBe(409)
    expect(early.body.error).toMatchObject({ code: "video_in_progress", param: null })
    expect(early.body.error?.message).toMatch(/is (queued|in_progress); wait for it to finish/)
    const first = await settled(alice, id)
    expect(first.status).toBe("completed")
    expect(emulator.stats().creates - before).toBe(3)
    const firstJobs = first.longsora.segments.map((segment) => segment.job_id)
    const manifestBefore = manifestText(id)

    // Another key's job reads as missing; the body's refusals name their field; nothing is made or touched.
    expect((await regenerate(bob, id, { segment: 2 })).body.error).toMatchObject({ code: "not_found" })
    expect((await regenerate(bob, id, { segment: 2 })).status).toBe(404)
    const outOfRange = await regenerate(alice, id, { segment: 4 })
    expect(outOfRange.status).toBe(400)
    expect(outOfRange.body.error).toMatchObject({ param: "segment", code: "invalid_value" })
    expect(outOfRange.body.error?.message).toContain("a segment from 1 to 3")
    const firstPrompt = await regenerate(alice, id, { segment: 1, prompt: "A different start." })
    expect(firstPrompt.status).toBe(400)
    expect(firstPrompt.body.error).toMatchObject({ param: "prompt", code: "invalid_value" })
    const unknown = await regenerate(alice, id, { segment: 2, seconds: 4 })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error).toMatchObject({ param: "seconds", code: "unknown_parameter" })
    const missing = await regenerate(alice, id, {})
    expect(missing.body.error).toMatchObject({ param: "segment", code: "missing_required_parameter" })
    const text = await regenerate(alice, id, { segment: "2" })
    expect(text.body.error).toMatchObject({ param: "segment", code: "invalid_type" })
    expect(emulator.stats().creates - before).toBe(3)
    expect(manifestText(id)).toBe(manifestBefore)
    expect((await call(alice, "GET", `/videos/${id}`)).body.status).toBe("completed")

    const prompt = "The boat tips over a small waterfall into a puddle."
    const queued = await regenerate(alice, id, { segment: 2, prompt })
    expect(queued.status).toBe(200)
    expect(queued.body).toMatchObject({ id, object: "video", status: "queued", progress: 0, error: null })
    expect(queued.body.longsora.regenerating).toEqual({ segments: [2, 3], seconds: 4, estimated_cost_usd: 0.4 })
    const done = await settled(alice, id)
    expect(done.status, JSON.stringify(done.error)).toBe("completed")
    expect(emulator.stats().creates - before).toBe(5)
    expect(done.longsora.regenerating).toBeNull()
    expect(done.longsora.plan?.segments[1]?.prompt).toBe(prompt)
    expect(done.longsora.segments.map((segment) => segment.state)).toEqual(["completed", "completed", "completed"])

    // Segment 1 reused, 2 and 3 new jobs; the replaced ones were paid for, so they stay listed as versions.
    const jobs = done.longsora.segments.map((segment) => segment.job_id)
    expect(jobs[0]).toBe(firstJobs[0])
    expect(jobs.slice(1).some((job) => firstJobs.includes(job))).toBe(false)
    const manifest = JSON.parse(manifestText(id)) as Manifest
    expect(manifest.regenerating).toBeUndefined()
    expect(manifest.versions?.map(({ segment, version, jobId }) => [segment, version, jobId])).toEqual([
      [2, 1, firstJobs[1]],
      [3, 1, firstJobs[2]]
    ])
    expect(manifest.versions?.[0]?.prompt).toBe(first.longsora.plan?.segments[1]?.prompt)
    const content = await fetch(`${server.baseURL}/videos/${id}/content`, {
      headers: { authorization: `Bearer ${alice}` }
    })
    expect(content.status).toBe(200)
    expect((await content.arrayBuffer()).byteLength).toBeGreaterThan(0)

    // The stream replays the first run, the regenerate, and its end.
    expect(await namedEvents(alice, id)).toEqual(["completed", "regenerating", "completed"])

    // Two regenerates at once: one runs (segment 3 alone, one create), the other is refused.
    const both = await Promise.all([regenerate(alice, id, { segment: 3 }), regenerate(alice, id, { segment: 3 })])
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 409])
    expect(both.find((answer) => answer.status === 409)?.body.error?.code).toBe("video_in_progress")
    expect((await settled(alice, id)).status).toBe("completed")
    expect(emulator.stats().creates - before).toBe(6)
  })

  it("a failed job: 409 telling to retry it first; over the key's seconds per day: 429, nothing touched", async () => {
    // Segment 1's create refused by moderation: the job fails with nothing made.
    emulator.setFaults({ moderation: { count: 1 } })
    const failedId = await made(alice, "A lantern sways on a porch at dusk.", 1)
    expect((await settled(alice, failedId)).status).toBe("failed")
    emulator.setFaults({})
    const before = emulator.stats().creates
    const failed = await regenerate(alice, failedId, { segment: 1 })
    expect(failed.status).toBe(409)
    expect(failed.body.error).toMatchObject({ code: "video_not_completed", param: null })
    expect(failed.body.error?.message).toContain(`POST /v1/videos/${failedId}/retry`)

    // 6 s made of the key's 8 a day: segment 2 and 3 again (4 s) would pass it.
    const id = await made(tight, "A kite over the dunes.", 3)
    expect((await settled(tight, id)).status).toBe("completed")
    const manifestBefore = manifestText(id)
    const madeBefore = emulator.stats().creates
    const over = await regenerate(tight, id, { segment: 2 })
    expect(over.status).toBe(429)
    expect(over.body.error).toMatchObject({ code: "daily_seconds_exceeded", type: "rate_limit_error" })
    expect(over.body.error?.message).toMatch(/limit of 8 video seconds per day \(6 s used today/)
    expect(manifestText(id)).toBe(manifestBefore)
    expect((await call(tight, "GET", `/videos/${id}`)).body).toMatchObject({
      status: "completed",
      longsora: { regenerating: null }
    })
    expect(emulator.stats().creates).toBe(madeBefore)
    expect(madeBefore - before).toBe(3)
  })
})
