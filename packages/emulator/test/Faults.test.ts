import { request } from "node:http"
import { describe, expect, it } from "vitest"
import { api, postJson, useEmulator, type VideoJson, waitDone } from "./helpers.ts"

describe("fault injection", { timeout: 40_000 }, () => {
  const emu = useEmulator({ render: { fixedSeconds: 0.05, secondsPerVideoSecond: 0.01 } })
  let ready: string | undefined

  /** A completed 4 s video to download (rendered once). */
  const completed = async (): Promise<string> => {
    if (ready) return ready
    const v = (await (await postJson(emu(), "/videos", { prompt: "download me", seconds: "4" })).json()) as VideoJson
    await waitDone(emu(), v.id)
    ready = v.id
    return v.id
  }

  it("rate-limit: header and configured count give 429 with retry-after and retry-after-ms", async () => {
    const r = await api(emu(), "/videos", { headers: { "x-emulator-fault": "rate-limit" } })
    expect(r.status).toBe(429)
    expect(r.headers.get("retry-after-ms")).toBe("1000")
    expect(r.headers.get("retry-after")).toBe("1")
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded")
    emu().setFaults({ rateLimit: { count: 2, retryAfterMs: 2500 } })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await api(emu(), "/videos")).status)
    expect(statuses).toEqual([429, 429, 200])
  })

  it("server-error: configured burst of 503 and header 500, no job created", async () => {
    emu().setFaults({ serverErrors: { count: 1, status: 503 } })
    const before = emu().stats().creates
    const r = await postJson(emu(), "/videos", { prompt: "p" })
    expect(r.status).toBe(503)
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe("server_error")
    emu().setFaults({})
    expect((await api(emu(), "/videos", { headers: { "x-emulator-fault": "server-error" } })).status).toBe(500)
    expect(emu().stats().creates).toBe(before)
  })

  it("moderation: the job is created and ends failed with moderation_blocked", async () => {
    emu().setFaults({ moderation: { count: 1 } })
    const v = (await (await postJson(emu(), "/videos", { prompt: "p" })).json()) as VideoJson
    const done = await waitDone(emu(), v.id)
    expect(done.status).toBe("failed")
    expect(done.error).toEqual({
      code: "moderation_blocked",
      message: "Your request was blocked by our moderation system."
    })
  })

  it("stuck: the job stays queued", async () => {
    emu().setFaults({ stuck: { count: 1 } })
    const v = (await (await postJson(emu(), "/videos", { prompt: "p", seconds: "4" })).json()) as VideoJson
    await new Promise((r) => setTimeout(r, 400))
    const again = (await (await api(emu(), `/videos/${v.id}`)).json()) as VideoJson
    expect(again.status).toBe("queued")
    expect(again.progress).toBe(0)
  })

  it("lose-create-response: the job exists and is counted, but the socket dies", async () => {
    emu().setFaults({})
    const before = emu().stats()
    await expect(
      postJson(emu(), "/videos", { prompt: "lost" }, { "x-emulator-fault": "lose-create-response" })
    ).rejects.toThrow()
    const after = emu().stats()
    expect(after.creates).toBe(before.creates + 1)
    const list = (await (await api(emu(), "/videos?limit=100")).json()) as { data: Array<VideoJson> }
    expect(list.data.some((v) => v.prompt === "lost")).toBe(true)
  })

  it("drop-download: the content connection is destroyed after some bytes", async () => {
    const id = await completed()
    emu().setFaults({ dropDownload: { count: 1, afterBytes: 5000 } })
    const received = await new Promise<{ bytes: number; length: number; error: boolean }>((resolve) => {
      const url = new URL(`${emu().baseURL}/videos/${id}/content`)
      const req = request(url, { headers: { authorization: "Bearer sk-emulator" } }, (res) => {
        let bytes = 0
        res.on("data", (c: Buffer) => {
          bytes += c.length
        })
        res.on("error", () => resolve({ bytes, length: Number(res.headers["content-length"]), error: true }))
        res.on("end", () => resolve({ bytes, length: Number(res.headers["content-length"]), error: false }))
        res.on("aborted", () => resolve({ bytes, length: Number(res.headers["content-length"]), error: true }))
      })
      req.on("error", () => resolve({ bytes: -1, length: 0, error: true }))
      req.end()
    })
    expect(received.error).toBe(true)
    expect(received.bytes).toBe(5000)
    expect(received.length).toBeGreaterThan(5000)
    // Spent: the next download is whole.
    const ok = await api(emu(), `/videos/${id}/content`)
    expect((await ok.arrayBuffer()).byteLength).toBe(received.length)
  })

  it("slow-download: throttles the content stream", async () => {
    const id = await completed()
    const bps = 1_000_000
    emu().setFaults({ slowDownload: { bytesPerSecond: bps } })
    const t0 = Date.now()
    const size = (await (await api(emu(), `/videos/${id}/content`)).arrayBuffer()).byteLength
    const elapsed = Date.now() - t0
    emu().setFaults({})
    expect(size).toBeGreaterThan(100_000)
    expect(elapsed).toBeGreaterThanOrEqual((size / bps) * 1000 - 150)
  })

  it("slow-download: a fast rate is met, not capped by the file's read chunks", async () => {
    const id = await completed()
    // 4 MB/s: a sleep per 64 kB chunk would have made it about 640 kB/s.
    const bps = 4_000_000
    emu().setFaults({ slowDownload: { bytesPerSecond: bps } })
    const t0 = Date.now()
    const size = (await (await api(emu(), `/videos/${id}/content`)).arrayBuffer()).byteLength
    const elapsed = Date.now() - t0
    emu().setFaults({})
    expect(size).toBeGreaterThan(200_000)
    // About 80 ms for these clips; at 640 kB/s it was over 400 ms.
    expect(elapsed).toBeLessThan((size / bps) * 1000 + 200)
  })
})

describe("concurrency cap and expiry", { timeout: 40_000 }, () => {
  const emu = useEmulator({ maxConcurrentJobsPerKey: 1, expiresAfterSeconds: 1 })

  it("429 Too many running tasks above the per-key cap; content 404 after expiry", async () => {
    const a = (await (await postJson(emu(), "/videos", { prompt: "a", seconds: "4" })).json()) as VideoJson
    const b = await postJson(emu(), "/videos", { prompt: "b", seconds: "4" })
    expect(b.status).toBe(429)
    expect(((await b.json()) as { error: unknown }).error).toEqual({
      message: "Too many running tasks",
      type: "video_generation_user_error",
      param: null,
      code: null
    })
    const done = await waitDone(emu(), a.id)
    expect(done.expires_at).toBe((done.completed_at as number) + 1)
    expect((await api(emu(), `/videos/${a.id}/content`)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1100))
    const gone = await api(emu(), `/videos/${a.id}/content`)
    expect(gone.status).toBe(404)
  })
})
