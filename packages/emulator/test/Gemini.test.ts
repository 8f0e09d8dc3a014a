/**
 * Contract tests: the unmodified `@ai-sdk/google` video model against the emulator's Gemini API
 * dialect (Veo over `predictLongRunning`).
 */
import { spawn } from "node:child_process"
import { createGoogleGenerativeAI } from "@ai-sdk/google"
import { APICallError, experimental_generateVideo as generateVideo } from "ai"
import { describe, expect, it } from "vitest"
import {
  doStart,
  EXACT_DB,
  fetchBytes,
  loopbackDownload,
  picture,
  pollUntilDone,
  psnrAt,
  tempFile,
  videoShape
} from "./dialects.ts"
import { useEmulator } from "./helpers.ts"

const MODEL = "veo-3.1-generate-preview"

describe("Gemini API dialect through @ai-sdk/google", { timeout: 40_000 }, () => {
  const emu = useEmulator()
  const google = () => createGoogleGenerativeAI({ baseURL: emu().geminiBaseURL, apiKey: emu().apiKey })

  it("generateVideo: a real 4 s 1280x720 MP4 whose first frame is the image and last frame is lastFrame", async () => {
    const first = await picture(1280, 720, 210)
    const last = await picture(1280, 720, 20)
    const before = emu().stats().createsByDialect.gemini
    const { video } = await generateVideo({
      model: google().video(MODEL),
      prompt: { image: first, text: "a paper boat drifts down a rainy street" },
      frameImages: [{ frameType: "last_frame", image: last }],
      duration: 4,
      aspectRatio: "16:9",
      resolution: "1280x720",
      poll: { intervalMs: 50 },
      download: loopbackDownload
    })
    expect(video.mediaType).toBe("video/mp4")
    const clip = await tempFile(video.uint8Array, "mp4")
    expect(await videoShape(clip)).toEqual({ size: "1280x720", frames: 120, codec: "h264", audio: "aac" })
    const firstPng = await tempFile(first, "png")
    const lastPng = await tempFile(last, "png")
    expect(await psnrAt(clip, 0, firstPng)).toBeGreaterThanOrEqual(EXACT_DB)
    expect(await psnrAt(clip, 119, lastPng)).toBeGreaterThanOrEqual(EXACT_DB)
    // The picture moves into the last frame rather than being it all along.
    expect(await psnrAt(clip, 100, lastPng)).toBeLessThan(35)
    expect(emu().stats().createsByDialect.gemini).toBe(before + 1)
  })

  it("9:16 at 720p renders 720x1280; 1080p with 4 s is refused (8 s only)", async () => {
    const model = google().video(MODEL)
    const portrait = await doStart(model, {
      prompt: "portrait",
      aspectRatio: "9:16",
      duration: 4
    })
    const done = await pollUntilDone(model, portrait.operation)
    const { size } = await videoShape(await tempFile(await fetchBytes(done), "mp4"))
    expect(size).toBe("720x1280")
    const wrong = await doStart(model, { prompt: "wide", resolution: "1920x1080", duration: 4 }).catch(
      (e: unknown) => e
    )
    expect(APICallError.isInstance(wrong)).toBe(true)
    expect((wrong as APICallError).statusCode).toBe(400)
    expect((wrong as APICallError).message).toBe("`resolution` 1080p is only supported with `durationSeconds` 8.")
  })

  it("invalid duration and unknown model get Google's error envelope and create nothing", async () => {
    const before = emu().stats().creates
    const bad = await generateVideo({
      model: google().video(MODEL),
      prompt: "five seconds is not a Veo length",
      duration: 5,
      maxRetries: 0
    }).catch((e: unknown) => e)
    expect(APICallError.isInstance(bad)).toBe(true)
    const error = bad as APICallError
    expect(error.statusCode).toBe(400)
    expect(error.isRetryable).toBe(false)
    expect(JSON.parse(error.responseBody ?? "")).toEqual({
      error: {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: "`durationSeconds` 5 is not supported by veo-3.1-generate-preview. Supported values: 4, 6, 8."
      }
    })
    const unknown = await doStart(google().video("veo-9"), { prompt: "p" }).catch((e: unknown) => e)
    expect((unknown as APICallError).statusCode).toBe(404)
    expect(JSON.parse((unknown as APICallError).responseBody ?? "").error.status).toBe("NOT_FOUND")
    expect(emu().stats().creates).toBe(before)
  })

  it("auth: a wrong key is 400 API_KEY_INVALID, no key 403; the result URL needs the key too", async () => {
    const wrong = await doStart(
      createGoogleGenerativeAI({ baseURL: emu().geminiBaseURL, apiKey: "AIza-wrong" }).video(MODEL),
      { prompt: "p" }
    ).catch((e: unknown) => e)
    expect((wrong as APICallError).statusCode).toBe(400)
    expect(JSON.parse((wrong as APICallError).responseBody ?? "").error.details[0].reason).toBe("API_KEY_INVALID")
    const none = await fetch(`${emu().geminiBaseURL}/models/${MODEL}:predictLongRunning`, {
      method: "POST",
      body: "{}"
    })
    expect(none.status).toBe(403)
    expect(((await none.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED")
  })

  it("doStart/doStatus: the operation is plain JSON; another process polls it and gets the keyed URL", async () => {
    const model = google().video(MODEL)
    const started = await doStart(model, { prompt: "stored and resumed", duration: 4 })
    const stored = JSON.stringify(started.operation)
    expect(JSON.parse(stored)).toEqual({
      operationName: expect.stringMatching(/^models\/veo-3\.1-generate-preview\/operations\/[0-9a-f]+$/)
    })
    const status = await pollInChild(emu().geminiBaseURL, emu().apiKey, stored)
    expect(status.status).toBe("completed")
    const url = new URL(status.url)
    expect(url.searchParams.get("key")).toBe(emu().apiKey)
    expect(url.searchParams.get("alt")).toBe("media")
    const keyless = new URL(url)
    keyless.searchParams.delete("key")
    expect((await fetch(keyless)).status).toBe(403)
    const { size, frames } = await videoShape(
      await tempFile(new Uint8Array(await (await fetch(url)).arrayBuffer()), "mp4")
    )
    expect({ size, frames }).toEqual({ size: "1280x720", frames: 120 })
  })
})

/** A fresh Node process rebuilds the provider and polls the stored operation to completion. */
const pollInChild = (baseURL: string, apiKey: string, operation: string): Promise<{ status: string; url: string }> => {
  const script = `
    import { createGoogleGenerativeAI } from "@ai-sdk/google"
    const model = createGoogleGenerativeAI({ baseURL: process.env.BASE, apiKey: process.env.KEY }).video("${MODEL}")
    const operation = JSON.parse(process.env.OPERATION)
    for (;;) {
      const s = await model.doStatus({ operation, headers: {} })
      if (s.status !== "pending") { console.log(JSON.stringify({ status: s.status, url: s.videos?.[0]?.url ?? s.error })); break }
      await new Promise((r) => setTimeout(r, 50))
    }`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, BASE: baseURL, KEY: apiKey, OPERATION: operation },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString()
    })
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}: ${err}`))
    )
  })
}
