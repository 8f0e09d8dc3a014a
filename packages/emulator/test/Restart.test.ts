/**
 * Durable jobs: an emulator process killed with SIGKILL and restarted on the same data directory
 * still knows its jobs — a job killed mid-render completes and downloads, completed/failed/deleted
 * jobs keep their fate, expired content answers as expired — and the directory counts every create.
 * One emulator at a time may use a directory.
 */
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { Emulator } from "../src/index.ts"
import {
  api,
  type ChildEmulator,
  ffprobe,
  postJson,
  referencePng,
  startChild,
  type VideoJson,
  waitDone
} from "./helpers.ts"

const children: Array<ChildEmulator> = []
const dirs: Array<string> = []
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop("SIGKILL")))
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "emulator-restart-"))
  dirs.push(dir)
  return dir
}
const child = async (dir: string, ...args: Array<string>) => {
  const c = await startChild(["--data-dir", dir, ...args])
  children.push(c)
  return c
}
const sha = async (res: Response) =>
  createHash("sha256")
    .update(Buffer.from(await res.arrayBuffer()))
    .digest("hex")

describe("jobs survive the emulator's process", { timeout: 60_000 }, () => {
  it("a job whose emulator was SIGKILLed mid-render completes after a restart, and its content downloads", async () => {
    const dir = await dataDir()
    // 1.2 s of simulated time: long enough to kill the process while the job runs.
    const first = await child(dir, "--fixed-seconds", "1.2")
    const png = await referencePng(1280, 720)
    const form = new FormData()
    form.set("prompt", "a crash in the middle")
    form.set("seconds", "4")
    form.set("size", "1280x720")
    form.set("input_reference", new File([png], "ref.png", { type: "image/png" }))
    const created = (await (await api(first, "/videos", { method: "POST", body: form })).json()) as VideoJson
    await new Promise((r) => setTimeout(r, 400))
    const running = (await (await api(first, `/videos/${created.id}`)).json()) as VideoJson
    expect(running.status).toBe("in_progress")
    await first.stop("SIGKILL")

    const second = await child(dir, "--fixed-seconds", "1.2")
    const again = (await (await api(second, `/videos/${created.id}`)).json()) as VideoJson
    expect(again.created_at).toBe(created.created_at)
    expect(["in_progress", "completed"]).toContain(again.status)
    const done = await waitDone(second, created.id)
    expect(done.status).toBe("completed")
    const content = await api(second, `/videos/${created.id}/content`)
    expect(content.status).toBe(200)
    const clip = join(dir, "downloaded.mp4")
    await writeFile(clip, Buffer.from(await content.arrayBuffer()))
    const probe = await ffprobe(clip)
    expect(probe.streams.find((s) => s.codec_type === "video")).toMatchObject({ width: 1280, height: 720 })
    // Rendered from the saved reference; no half-written output of the killed render is left.
    expect(existsSync(join(dir, "videos", created.id, "reference"))).toBe(true)
    expect((await Emulator.readDataDir(dir)).creates).toBe(1)
  })

  it("completed, failed and deleted jobs keep their fate across a SIGKILL; expired content stays expired", async () => {
    const dir = await dataDir()
    const first = await child(dir, "--fixed-seconds", "0.05")
    const create = async (prompt: string, fault?: string) =>
      (
        (await (
          await postJson(first, "/videos", { prompt, seconds: "4" }, fault ? { "x-emulator-fault": fault } : {})
        ).json()) as VideoJson
      ).id
    const [kept, failed, deleted] = await Promise.all([create("kept"), create("failed", "moderation"), create("gone")])
    for (const id of [kept, failed, deleted]) await waitDone(first, id)
    expect((await api(first, `/videos/${deleted}`, { method: "DELETE" })).status).toBe(200)
    const bytes = await sha(await api(first, `/videos/${kept}/content`))
    await first.stop("SIGKILL")

    const second = await child(dir)
    const keptAgain = (await (await api(second, `/videos/${kept}`)).json()) as VideoJson
    expect(keptAgain.status).toBe("completed")
    expect(await sha(await api(second, `/videos/${kept}/content`))).toBe(bytes)
    const failedAgain = (await (await api(second, `/videos/${failed}`)).json()) as VideoJson
    expect(failedAgain).toMatchObject({ status: "failed", error: { code: "moderation_blocked" } })
    expect((await api(second, `/videos/${deleted}`)).status).toBe(404)
    const list = (await (await api(second, "/videos?order=asc")).json()) as { data: Array<VideoJson> }
    expect(list.data.map((v) => v.id).sort()).toEqual([kept, failed].sort())
    await second.stop("SIGTERM")

    // Restarted with a lifetime already over: the content is expired (and removed), the job still answers.
    const third = await child(dir, "--expires-after", "0")
    const expired = await api(third, `/videos/${kept}/content`)
    expect(expired.status).toBe(404)
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/has expired/)
    expect(existsSync(join(dir, "videos", kept, "video.mp4"))).toBe(false)
    expect((await api(third, `/videos/${kept}`)).status).toBe(200)
    // Every create ever made in the directory, the deleted one included.
    expect((await Emulator.readDataDir(dir)).creates).toBe(3)
  })

  it("stats() reports creates of this process and of the whole data directory", async () => {
    const dir = await dataDir()
    const a = await Emulator.start({ dataDir: dir, render: { fixedSeconds: 0.05 } })
    await waitDone(a, ((await (await postJson(a, "/videos", { prompt: "one", seconds: "4" })).json()) as VideoJson).id)
    await a.close()
    const b = await Emulator.start({ dataDir: dir, render: { fixedSeconds: 0.05 } })
    try {
      await postJson(b, "/videos", { prompt: "two", seconds: "4" }, { "x-emulator-fault": "stuck" })
      expect(b.stats()).toMatchObject({ creates: 1, totalCreates: 2 })
      expect(b.stats().jobs.map((j) => j.status)).toEqual(["completed", "queued"])
      const counted = await Emulator.readDataDir(dir)
      expect(counted.creates).toBe(2)
      expect(counted.jobs[0]?.renderedAt).toBeGreaterThan(counted.jobs[0]?.createdAt ?? Infinity)
    } finally {
      await b.close()
    }
  })

  it("a second emulator on a directory in use is refused before touching it; a dead holder's lock is taken over", async () => {
    const dir = await dataDir()
    const first = await child(dir, "--fixed-seconds", "0.05")
    const upload = join(dir, "uploads", "in-flight")
    await mkdir(join(dir, "uploads"), { recursive: true })
    await writeFile(upload, "bytes of a request the first emulator is reading")
    await expect(Emulator.start({ dataDir: dir })).rejects.toThrow(
      new RegExp(`in use by the emulator of pid ${first.child.pid}`)
    )
    // Its uploads were not cleared by the refused start.
    expect(existsSync(upload)).toBe(true)
    await first.stop("SIGKILL")
    // The killed emulator's lock is left behind and taken over.
    expect(existsSync(join(dir, "emulator.lock"))).toBe(true)
    const second = await Emulator.start({ dataDir: dir })
    try {
      expect(JSON.parse(await readFile(join(dir, "emulator.lock"), "utf8"))).toEqual({
        pid: process.pid,
        host: hostname()
      })
    } finally {
      await second.close()
    }
    expect(existsSync(join(dir, "emulator.lock"))).toBe(false)
  })
})
