/**
 * Faults in the Gemini and fal dialects, seen through the unmodified provider packages, each
 * proving through `stats().createsByDialect` how many jobs (paid starts) happened.
 */
import { createFal } from "@ai-sdk/fal"
import { createGoogleGenerativeAI } from "@ai-sdk/google"
import { experimental_startVideo as startVideo } from "ai"
import { describe, expect, it } from "vitest"
import {
  dataUrl,
  doStart,
  doStatus,
  failure,
  type Operation,
  picture,
  pollUntilDone,
  type VideoModelV4
} from "./dialects.ts"
import { useEmulator } from "./helpers.ts"

const VEO = "veo-3.1-fast-generate-preview"
const KLING = "fal-ai/kling-video/v2.1/pro/image-to-video"

describe("dialect faults", { timeout: 40_000 }, () => {
  const emu = useEmulator()
  const veo = (): VideoModelV4 =>
    createGoogleGenerativeAI({ baseURL: emu().geminiBaseURL, apiKey: emu().apiKey }).video(VEO)
  // Typed as the newer provider spec; see Fal.test.ts.
  const kling = (): VideoModelV4 =>
    createFal({ apiKey: emu().apiKey, fetch: emu().falFetch }).video(KLING) as unknown as VideoModelV4
  const falInput = async () => ({
    image: { type: "file" as const, mediaType: "image/png", data: new Uint8Array(await picture(640, 360, 90)) },
    providerOptions: { fal: { duration: "5" } }
  })
  const starts = () => emu().stats().createsByDialect

  it("429: Gemini's RESOURCE_EXHAUSTED with RetryInfo, fal's with retry-after; retryable, and no job", async () => {
    const before = starts()
    emu().setFaults({ rateLimit: { count: 1, retryAfterMs: 2000 } })
    const google = await failure(doStart(veo(), { prompt: "p", duration: 4 }))
    expect(google.statusCode).toBe(429)
    expect(google.isRetryable).toBe(true)
    expect(JSON.parse(google.responseBody ?? "").error).toMatchObject({
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" }]
    })
    emu().setFaults({ rateLimit: { count: 1, retryAfterMs: 2000 } })
    const fal = await failure(doStart(kling(), { prompt: "p", ...(await falInput()) }))
    expect(fal.statusCode).toBe(429)
    expect(fal.responseHeaders?.["retry-after"]).toBe("2")
    expect(starts()).toEqual(before)
  })

  it("5xx: Gemini's 503 UNAVAILABLE and fal's 500 are retryable and create nothing", async () => {
    const before = starts()
    emu().setFaults({ serverErrors: { count: 1, status: 503 } })
    const google = await failure(doStart(veo(), { prompt: "p", duration: 4 }))
    expect([google.statusCode, google.isRetryable, JSON.parse(google.responseBody ?? "").error.status]).toEqual([
      503,
      true,
      "UNAVAILABLE"
    ])
    emu().setFaults({})
    const fal = await failure(
      doStart(kling(), { prompt: "p", ...(await falInput()), headers: { "x-emulator-fault": "server-error" } })
    )
    expect([fal.statusCode, fal.isRetryable]).toEqual([500, true])
    expect(starts()).toEqual(before)
  })

  it("lost start response: the job exists and counts once; the SDK's default retries would start a second", async () => {
    emu().setFaults({ loseCreateResponse: { count: 2 }, stuck: { count: 3 } })
    const before = starts()
    await expect(doStart(veo(), { prompt: "lost", duration: 4 })).rejects.toThrow()
    await expect(doStart(kling(), { prompt: "lost", ...(await falInput()) })).rejects.toThrow()
    expect(starts()).toEqual({ ...before, gemini: before.gemini + 1, fal: before.fal + 1 })
    // maxRetries defaults to 2: the retry after the lost answer is a second paid job.
    emu().setFaults({ loseCreateResponse: { count: 1 }, stuck: { count: 2 } })
    const { operation } = await startVideo({ model: veo(), prompt: "retried", duration: 4 })
    expect(operation).toEqual({ operationName: expect.stringContaining(`models/${VEO}/operations/`) })
    expect(starts().gemini).toBe(before.gemini + 3)
  })

  it("operation fails: Gemini's done+error and fal's failed result surface as doStatus errors; one start each", async () => {
    const before = starts()
    emu().setFaults({ failOperation: { count: 2 } })
    const google = await doStart(veo(), { prompt: "p", duration: 4 })
    const fal = await doStart(kling(), { prompt: "p", ...(await falInput()) })
    expect(await settle(veo(), google.operation)).toEqual({
      status: "error",
      error: "Video generation failed: Video generation failed due to an internal error. Please try again."
    })
    expect((await settle(kling(), fal.operation)).status).toBe("error")
    expect(starts()).toEqual({ ...before, gemini: before.gemini + 1, fal: before.fal + 1 })
  })

  it("moderation: Veo's done operation has raiMediaFilteredCount and no samples; the SDK reports no video", async () => {
    emu().setFaults({ moderation: { count: 1 } })
    const { operation } = await doStart(veo(), { prompt: "p", duration: 4 })
    const error = await settle(veo(), operation).catch((e: unknown) => e)
    expect(String(error)).toContain("No videos in response")
    const name = (operation as { operationName: string }).operationName
    const raw = await fetch(`${emu().geminiBaseURL}/${name}`, { headers: { "x-goog-api-key": emu().apiKey } })
    expect(((await raw.json()) as { response: unknown }).response).toMatchObject({
      generateVideoResponse: { raiMediaFilteredCount: 1 }
    })
  })

  it("expired result URL: the job completes, the download is Gemini's 403 and fal's 404", async () => {
    emu().setFaults({ expireResult: { count: 2 } })
    const google = await pollUntilDone(veo(), (await doStart(veo(), { prompt: "p", duration: 4 })).operation)
    const expiredGoogle = await fetch(google)
    expect(expiredGoogle.status).toBe(403)
    expect(((await expiredGoogle.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED")
    // Wan at 480p: the cheapest fal render.
    const wan = createFal({ apiKey: emu().apiKey, fetch: emu().falFetch }).video(
      "fal-ai/wan-25-preview/image-to-video"
    ) as unknown as VideoModelV4
    const input = { ...(await falInput()), providerOptions: { fal: { duration: "5", resolution: "480p" } } }
    const fal = await pollUntilDone(wan, (await doStart(wan, { prompt: "p", ...input })).operation)
    expect((await fetch(fal)).status).toBe(404)
  })

  it("fail-operation by the x-emulator-fault header (end frame given): one start, doStatus error", async () => {
    const before = starts()
    const { operation } = await doStart(kling(), {
      prompt: "p",
      ...(await falInput()),
      providerOptions: { fal: { duration: "5", tail_image_url: dataUrl(await picture(640, 360, 200)) } },
      headers: { "x-emulator-fault": "fail-operation" }
    })
    expect((await settle(kling(), operation)).status).toBe("error")
    expect(starts().fal).toBe(before.fal + 1)
  })
})

/** Polls until the status is no longer pending. */
const settle = async (model: VideoModelV4, operation: Operation) => {
  for (let i = 0; i < 400; i++) {
    const status = await doStatus(model, operation)
    if (status.status !== "pending") {
      return status.status === "error" ? { status: status.status, error: status.error } : { status: status.status }
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("still pending")
}
