/**
 * Contract tests: the unmodified `@ai-sdk/xai` video model (Grok Imagine) against the emulator's
 * xAI dialect, and the wire protocol beneath it; every start counted in `createsByDialect.xai`.
 */
import { createXai } from "@ai-sdk/xai"
import { experimental_generateVideo as generateVideo } from "ai"
import { describe, expect, it } from "vitest"
import {
  dataUrl,
  doStart,
  doStatus,
  failure,
  fetchBytes,
  loopbackDownload,
  picture,
  pollUntilDone,
  tempFile,
  type VideoModelV4,
  videoShape
} from "./dialects.ts"
import { useEmulator } from "./helpers.ts"

const GROK = "grok-imagine-video"

describe("xAI video dialect through @ai-sdk/xai", { timeout: 60_000 }, () => {
  const emu = useEmulator()
  // Typed as the newer provider spec; see Fal.test.ts.
  const grok = (model = GROK, apiKey = emu().apiKey): VideoModelV4 =>
    createXai({ apiKey, baseURL: emu().xaiBaseURL }).video(model) as unknown as VideoModelV4
  const xaiStarts = () => emu().stats().createsByDialect.xai
  const api = (path: string, init: RequestInit = {}, key = emu().apiKey) =>
    fetch(`${emu().xaiBaseURL}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }
    })

  it("image-to-video at 720p: a real MP4 of the asked length and size, with sound; one start", async () => {
    const before = xaiStarts()
    const { video, providerMetadata } = await generateVideo({
      model: grok(),
      prompt: { image: await picture(1280, 720, 40), text: "a kite climbs over a windy beach" },
      duration: 3,
      aspectRatio: "16:9",
      resolution: "1280x720",
      poll: { intervalMs: 50 },
      download: loopbackDownload
    })
    const clip = await tempFile(video.uint8Array, "mp4")
    expect(await videoShape(clip)).toEqual({ size: "1280x720", frames: 90, codec: "h264", audio: "aac" })
    expect(providerMetadata.xai).toMatchObject({ duration: 3, requestId: expect.any(String) })
    expect(xaiStarts()).toBe(before + 1)
  })

  it("text-to-video, portrait, the default 480p: 480x854; 1080p on grok-imagine-video-1.5", async () => {
    const portrait = await doStart(grok(), { prompt: "rain on a window", duration: 2, aspectRatio: "9:16" })
    const portraitClip = await tempFile(await fetchBytes(await pollUntilDone(grok(), portrait.operation)), "mp4")
    expect((await videoShape(portraitClip)).size).toBe("480x854")
    const full = await doStart(grok("grok-imagine-video-1.5"), {
      prompt: "a city at dusk",
      duration: 1,
      resolution: "1920x1080"
    })
    const url = await pollUntilDone(grok("grok-imagine-video-1.5"), full.operation)
    expect((await videoShape(await tempFile(await fetchBytes(url), "mp4"))).size).toBe("1920x1080")
  })

  it("wire: {request_id}, pending while rendering, done with a downloadable URL (Range too) at the image's shape", async () => {
    emu().setFaults({ stuck: { count: 1 } })
    const stuck = await api("/videos/generations", {
      method: "POST",
      body: JSON.stringify({ model: GROK, prompt: "p", duration: 1 })
    })
    const { request_id } = (await stuck.json()) as { request_id: string }
    expect(await (await api(`/videos/${request_id}`)).json()).toMatchObject({ status: "pending", model: GROK })
    emu().setFaults({})
    const created = await api("/videos/generations", {
      method: "POST",
      body: JSON.stringify({
        model: GROK,
        prompt: "p",
        duration: 2,
        image: { url: dataUrl(await picture(640, 360, 9)) }
      })
    })
    expect(created.status).toBe(200)
    const id = ((await created.json()) as { request_id: string }).request_id
    let status: { status: string; video?: { url: string; duration: number; respect_moderation: boolean } } = {
      status: "pending"
    }
    for (let i = 0; i < 400 && status.status === "pending"; i++) {
      status = (await (await api(`/videos/${id}`)).json()) as typeof status
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(status).toMatchObject({ status: "done", video: { duration: 2, respect_moderation: true } })
    const url = status.video?.url ?? ""
    // xAI's video URLs need no key.
    const whole = await fetch(url)
    expect([whole.status, whole.headers.get("content-type")]).toEqual([200, "video/mp4"])
    const bytes = new Uint8Array(await whole.arrayBuffer())
    const part = await fetch(url, { headers: { range: "bytes=0-99" } })
    expect(part.status).toBe(206)
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(0, 100))
    expect(await videoShape(await tempFile(bytes, "mp4"))).toMatchObject({ size: "854x480", frames: 60 })
  })

  it("moderation: done with respect_moderation false, which the package calls a content policy violation", async () => {
    emu().setFaults({ moderation: { count: 1 } })
    const before = xaiStarts()
    const { operation } = await doStart(grok(), { prompt: "flagged", duration: 1 })
    let status = await doStatus(grok(), operation)
    for (let i = 0; i < 400 && status.status === "pending"; i++) {
      await new Promise((r) => setTimeout(r, 25))
      status = await doStatus(grok(), operation)
    }
    expect(status).toMatchObject({
      status: "error",
      error: "Video generation was blocked due to a content policy violation."
    })
    const raw = (await (await api(`/videos/${(operation as { requestId: string }).requestId}`)).json()) as unknown
    expect(raw).toMatchObject({ status: "done", video: { respect_moderation: false } })
    expect(xaiStarts()).toBe(before + 1)
  })

  it("fail-operation: status failed with an error, not moderation", async () => {
    emu().setFaults({ failOperation: { count: 1 } })
    const { operation } = await doStart(grok(), { prompt: "doomed", duration: 1 })
    let status = await doStatus(grok(), operation)
    for (let i = 0; i < 400 && status.status === "pending"; i++) {
      await new Promise((r) => setTimeout(r, 25))
      status = await doStatus(grok(), operation)
    }
    expect(status.status).toBe("error")
    expect(status.status === "error" ? status.error : "").toMatch(/^Video generation failed: .*internal error/)
    const raw = await (await api(`/videos/${(operation as { requestId: string }).requestId}`)).json()
    expect(raw).toMatchObject({ status: "failed", error: { code: "internal_error" } })
  })

  it("request faults: 429 with retry-after and 5xx create nothing; a lost answer's job counts once; expire-result's URL is 404", async () => {
    const before = xaiStarts()
    emu().setFaults({ rateLimit: { count: 1, retryAfterMs: 2000 } })
    const limited = await failure(doStart(grok(), { prompt: "p", duration: 1 }))
    expect([limited.statusCode, limited.isRetryable, limited.responseHeaders?.["retry-after"]]).toEqual([
      429,
      true,
      "2"
    ])
    emu().setFaults({ serverErrors: { count: 1, status: 503 } })
    expect((await failure(doStart(grok(), { prompt: "p", duration: 1 }))).statusCode).toBe(503)
    expect(xaiStarts()).toBe(before)
    emu().setFaults({ loseCreateResponse: { count: 1 }, stuck: { count: 1 } })
    await expect(doStart(grok(), { prompt: "lost", duration: 1 })).rejects.toThrow()
    expect(xaiStarts()).toBe(before + 1)
    emu().setFaults({ expireResult: { count: 1 } })
    const { operation } = await doStart(grok(), { prompt: "late", duration: 1 })
    expect((await fetch(await pollUntilDone(grok(), operation))).status).toBe(404)
  })

  it("refusals in xAI's envelope create nothing: unknown model, duration, resolution, keys, extensions", async () => {
    const before = xaiStarts()
    const unknown = await failure(doStart(grok("grok-imagine-video-9"), { prompt: "p" }))
    expect(unknown.statusCode).toBe(404)
    expect(unknown.message).toContain("grok-imagine-video-9")
    const long = await failure(doStart(grok(), { prompt: "p", duration: 16 }))
    expect([long.statusCode, JSON.parse(long.responseBody ?? "").code]).toEqual([
      400,
      "Client specified an invalid argument"
    ])
    expect(long.message).toContain("from 1 to 15")
    const sharp = await failure(doStart(grok(), { prompt: "p", resolution: "1920x1080" }))
    expect([sharp.statusCode, sharp.message]).toEqual([
      400,
      expect.stringContaining('`resolution` "1080p" is not supported by grok-imagine-video')
    ])
    const wrongKey = await failure(doStart(grok(GROK, "xai-wrong-key"), { prompt: "p" }))
    expect([wrongKey.statusCode, wrongKey.message]).toEqual([
      400,
      expect.stringContaining("Incorrect API key provided: xa***ey")
    ])
    const noKey = await fetch(`${emu().xaiBaseURL}/videos/generations`, { method: "POST", body: "{}" })
    expect([noKey.status, ((await noKey.json()) as { code: string }).code]).toEqual([
      401,
      "The request does not have valid authentication credentials for the operation"
    ])
    const extension = await api("/videos/extensions", { method: "POST", body: "{}" })
    expect(extension.status).toBe(400)
    expect(((await extension.json()) as { error: string }).error).toContain("not emulated")
    const missing = await api("/videos/does-not-exist")
    expect(missing.status).toBe(404)
    expect(xaiStarts()).toBe(before)
  })
})
