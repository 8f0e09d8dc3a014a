/**
 * `GET /v1/videos/{id}/content` answers `Range` as a CDN does (206 / 416 / 200 for several ranges),
 * with the download faults applied to the slice; retrieve answers carry the poll hint.
 */
import { request } from "node:http"
import { describe, expect, it } from "vitest"
import { parseRange } from "../src/ByteRange.ts"
import { api, postJson, useEmulator, type VideoJson, waitDone } from "./helpers.ts"

describe("content ranges", { timeout: 40_000 }, () => {
  const emu = useEmulator()
  let ready: { id: string; whole: Buffer } | undefined
  const completed = async () => {
    if (ready) return ready
    const v = (await (await postJson(emu(), "/videos", { prompt: "ranges", seconds: "4" })).json()) as VideoJson
    await waitDone(emu(), v.id)
    const whole = await api(emu(), `/videos/${v.id}/content`)
    expect(whole.status).toBe(200)
    expect(whole.headers.get("accept-ranges")).toBe("bytes")
    ready = { id: v.id, whole: Buffer.from(await whole.arrayBuffer()) }
    return ready
  }
  const ranged = (id: string, range: string, extra: Record<string, string> = {}) =>
    api(emu(), `/videos/${id}/content`, { headers: { range, ...extra } })

  it("206 with Content-Range for a-b, a- and -n; the bytes are the file's", async () => {
    const { id, whole } = await completed()
    const size = whole.length
    const cases: Array<[string, number, number]> = [
      ["bytes=0-99", 0, 99],
      ["bytes=1000-", 1000, size - 1],
      ["bytes=-500", size - 500, size - 1],
      // An end past the file is clamped, like any CDN.
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1]
    ]
    for (const [range, start, end] of cases) {
      const res = await ranged(id, range)
      expect(res.status, range).toBe(206)
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`)
      expect(res.headers.get("accept-ranges")).toBe("bytes")
      expect(Number(res.headers.get("content-length"))).toBe(end - start + 1)
      expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1)), range).toBe(true)
    }
  })

  it("416 with Content-Range bytes */size past the end; several ranges, bad syntax or a stale If-Range give 200", async () => {
    const { id, whole } = await completed()
    const size = whole.length
    for (const range of [`bytes=${size}-`, "bytes=-0"]) {
      const res = await ranged(id, range)
      expect(res.status, range).toBe(416)
      expect(res.headers.get("content-range")).toBe(`bytes */${size}`)
      expect(res.headers.get("accept-ranges")).toBe("bytes")
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("range_not_satisfiable")
    }
    for (const range of ["bytes=0-1,5-6", "items=0-1", "bytes=9-2"]) {
      const res = await ranged(id, range)
      expect(res.status, range).toBe(200)
      expect((await res.arrayBuffer()).byteLength).toBe(size)
    }
    const etag = (await ranged(id, "bytes=0-0")).headers.get("etag") ?? ""
    expect((await ranged(id, "bytes=0-9", { "if-range": etag })).status).toBe(206)
    expect((await ranged(id, "bytes=0-9", { "if-range": '"something-else"' })).status).toBe(200)
  })

  it("Accept-Ranges also on content that is not ready", async () => {
    const v = (await (
      await postJson(emu(), "/videos", { prompt: "never", seconds: "4" }, { "x-emulator-fault": "stuck" })
    ).json()) as VideoJson
    const res = await ranged(v.id, "bytes=0-9")
    expect(res.status).toBe(404)
    expect(res.headers.get("accept-ranges")).toBe("bytes")
  })

  it("slow-download throttles a slice; drop-download cuts a slice after its first bytes", async () => {
    const { id, whole } = await completed()
    const bps = 200_000
    emu().setFaults({ slowDownload: { bytesPerSecond: bps } })
    const t0 = Date.now()
    const slow = await ranged(id, "bytes=-60000")
    expect(slow.status).toBe(206)
    expect(Buffer.from(await slow.arrayBuffer()).equals(whole.subarray(whole.length - 60_000))).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual((60_000 / bps) * 1000 - 150)
    emu().setFaults({ dropDownload: { count: 1, afterBytes: 3000 } })
    const received = await new Promise<{ status: number; bytes: number; cut: boolean }>((resolve) => {
      const req = request(
        new URL(`${emu().baseURL}/videos/${id}/content`),
        { headers: { authorization: "Bearer sk-emulator", range: "bytes=100-" } },
        (res) => {
          let bytes = 0
          res.on("data", (c: Buffer) => {
            bytes += c.length
          })
          res.on("aborted", () => resolve({ status: res.statusCode ?? 0, bytes, cut: true }))
          res.on("error", () => resolve({ status: res.statusCode ?? 0, bytes, cut: true }))
          res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, cut: false }))
        }
      )
      req.on("error", () => resolve({ status: 0, bytes: -1, cut: true }))
      req.end()
    })
    emu().setFaults({})
    expect(received).toEqual({ status: 206, bytes: 3000, cut: true })
  })

  it("parseRange follows RFC 9110 for the edge cases", () => {
    expect(parseRange(undefined, 10)).toEqual({ _tag: "Whole" })
    expect(parseRange("bytes=0-0", 10)).toEqual({ _tag: "Slice", start: 0, end: 0 })
    expect(parseRange("bytes=-20", 10)).toEqual({ _tag: "Slice", start: 0, end: 9 })
    expect(parseRange("bytes=10-", 10)).toEqual({ _tag: "Unsatisfiable" })
    expect(parseRange("bytes=-", 10)).toEqual({ _tag: "Whole" })
    expect(parseRange("bytes=0-", 0)).toEqual({ _tag: "Unsatisfiable" })
  })
})

describe("poll hint", { timeout: 20_000 }, () => {
  // 1 s of simulated time, so the hint has something to count down.
  const emu = useEmulator({ render: { fixedSeconds: 1, secondsPerVideoSecond: 0 } })

  it("openai-poll-after-ms on retrieve while running: the remaining simulated time, at least 50 ms; none once done; 1 s when stuck", async () => {
    const v = (await (await postJson(emu(), "/videos", { prompt: "hint", seconds: "4" })).json()) as VideoJson
    const early = await api(emu(), `/videos/${v.id}`)
    const first = Number(early.headers.get("openai-poll-after-ms"))
    expect(first).toBeGreaterThan(700)
    expect(first).toBeLessThanOrEqual(1000)
    await new Promise((r) => setTimeout(r, 400))
    const later = Number((await api(emu(), `/videos/${v.id}`)).headers.get("openai-poll-after-ms"))
    expect(later).toBeLessThan(first - 300)
    expect(later).toBeGreaterThanOrEqual(50)
    await waitDone(emu(), v.id)
    expect((await api(emu(), `/videos/${v.id}`)).headers.get("openai-poll-after-ms")).toBeNull()
    // A job that never ends has no remaining time: the SDK's own default.
    const stuck = (await (
      await postJson(emu(), "/videos", { prompt: "never", seconds: "4" }, { "x-emulator-fault": "stuck" })
    ).json()) as VideoJson
    expect((await api(emu(), `/videos/${stuck.id}`)).headers.get("openai-poll-after-ms")).toBe("1000")
  })
})
