/**
 * Contract tests: the unmodified `@ai-sdk/fal` video model against the emulator's fal queue
 * dialect, one app per family (Kling, Wan, Seedance, Hailuo), each with its own field names.
 */
import { createFal } from "@ai-sdk/fal"
import { APICallError, experimental_generateVideo as generateVideo } from "ai"
import { describe, expect, it } from "vitest"
import {
  dataUrl,
  doStart,
  EXACT_DB,
  loopbackDownload,
  picture,
  psnrAt,
  tempFile,
  type VideoModelV4,
  videoShape
} from "./dialects.ts"
import { useEmulator } from "./helpers.ts"

interface Case {
  readonly app: string
  /** Provider options: the app's own duration/resolution/end-frame fields. */
  readonly fal: (end: string) => Record<string, string>
  readonly size: string
  readonly seconds: number
  readonly firstFrameIsImage: boolean
  readonly endsOnImage: boolean
}

const CASES: ReadonlyArray<Case> = [
  {
    app: "fal-ai/kling-video/v2.1/pro/image-to-video",
    fal: (end) => ({ duration: "5", tail_image_url: end }),
    size: "1920x1080",
    seconds: 5,
    firstFrameIsImage: true,
    endsOnImage: true
  },
  {
    app: "fal-ai/wan-25-preview/image-to-video",
    fal: () => ({ duration: "5", resolution: "480p" }),
    size: "854x480",
    seconds: 5,
    firstFrameIsImage: false,
    endsOnImage: false
  },
  {
    app: "fal-ai/bytedance/seedance/v1.5/pro/image-to-video",
    fal: (end) => ({ duration: "4", resolution: "480p", end_image_url: end }),
    size: "854x480",
    seconds: 4,
    firstFrameIsImage: true,
    endsOnImage: true
  },
  {
    app: "fal-ai/minimax/hailuo-02/standard/image-to-video",
    fal: (end) => ({ duration: "6", resolution: "512P", end_image_url: end }),
    size: "910x512",
    seconds: 6,
    firstFrameIsImage: true,
    endsOnImage: true
  }
]

describe("fal queue dialect through @ai-sdk/fal", { timeout: 60_000 }, () => {
  const emu = useEmulator()
  /**
   * `@ai-sdk/fal` 3.0.41 is typed against `@ai-sdk/provider` 4.0.14 and `ai` 7.0.173 against
   * 4.0.38; under `exactOptionalPropertyTypes` their `Experimental_VideoModelV4` types differ (the
   * webhook body's JSONValue), though the runtime contract is the same. Typed as the newer one.
   */
  const fal = (app: string): VideoModelV4 =>
    createFal({ apiKey: emu().apiKey, fetch: emu().falFetch }).video(app) as unknown as VideoModelV4

  it.each(CASES)("$app: a real MP4 of the app's size and length, frames as the app uses images", async (c) => {
    const first = await picture(1280, 720, 120)
    const last = await picture(1280, 720, 300)
    const before = emu().stats().createsByDialect.fal
    const { video } = await generateVideo({
      model: fal(c.app),
      prompt: { image: first, text: "a lighthouse beam sweeps over the sea" },
      providerOptions: { fal: c.fal(dataUrl(last)) },
      poll: { intervalMs: 50 },
      download: loopbackDownload
    })
    const clip = await tempFile(video.uint8Array, "mp4")
    expect(await videoShape(clip)).toEqual({ size: c.size, frames: c.seconds * 30, codec: "h264", audio: "aac" })
    const firstDb = await psnrAt(clip, 0, await tempFile(first, "png"))
    if (c.firstFrameIsImage) expect(firstDb).toBeGreaterThanOrEqual(EXACT_DB)
    else expect(firstDb).toBeLessThan(35)
    const lastDb = await psnrAt(clip, c.seconds * 30 - 1, await tempFile(last, "png"))
    if (c.endsOnImage) expect(lastDb).toBeGreaterThanOrEqual(EXACT_DB)
    else expect(lastDb).toBeLessThan(30)
    expect(emu().stats().createsByDialect.fal).toBe(before + 1)
  })

  it("the SDK's own `duration` goes out as '5s', which these apps reject with FastAPI's 422; nothing is created", async () => {
    const before = emu().stats().creates
    const error = await generateVideo({
      model: fal("fal-ai/kling-video/v2.1/pro/image-to-video"),
      prompt: { image: await picture(640, 360, 10), text: "p" },
      duration: 5,
      maxRetries: 0
    }).catch((e: unknown) => e)
    expect(APICallError.isInstance(error)).toBe(true)
    expect((error as APICallError).statusCode).toBe(422)
    expect(JSON.parse((error as APICallError).responseBody ?? "")).toEqual({
      detail: [
        {
          loc: ["body", "duration"],
          msg: "Input should be '5' or '10'",
          type: "enum",
          input: "5s",
          ctx: { expected: "'5' or '10'" }
        }
      ]
    })
    const noImage = await doStart(fal("fal-ai/wan-25-preview/image-to-video"), { prompt: "p" }).catch((e: unknown) => e)
    expect(JSON.parse((noImage as APICallError).responseBody ?? "").detail).toEqual([
      { loc: ["body", "image_url"], msg: "Field required", type: "missing" }
    ])
    expect(emu().stats().creates).toBe(before)
  })

  it("queue protocol: submit answers fal's URLs, status goes IN_QUEUE/IN_PROGRESS → COMPLETED, result before then is 400", async () => {
    const queue = "https://queue.fal.run"
    const headers = { authorization: `Key ${emu().apiKey}`, "content-type": "application/json" }
    const f = emu().falFetch
    const unauthenticated = await f(`${queue}/fal-ai/wan-25-preview/image-to-video`, { method: "POST", body: "{}" })
    expect(unauthenticated.status).toBe(401)
    const submitted = await f(`${queue}/fal-ai/wan-25-preview/image-to-video`, {
      method: "POST",
      headers,
      body: JSON.stringify({ prompt: "p", image_url: dataUrl(await picture(640, 360, 50)), resolution: "480p" })
    })
    expect(submitted.status).toBe(200)
    const job = (await submitted.json()) as Record<string, string>
    const requestUrl = `${queue}/fal-ai/wan-25-preview/requests/${job.request_id}`
    expect(job).toMatchObject({
      status: "IN_QUEUE",
      response_url: requestUrl,
      status_url: `${requestUrl}/status`,
      cancel_url: `${requestUrl}/cancel`
    })
    const early = await f(requestUrl, { headers })
    expect(early.status).toBe(400)
    expect(await early.json()).toEqual({ detail: "Request is still in progress" })
    const seen = new Set<string>()
    for (let i = 0; i < 400 && !seen.has("COMPLETED"); i++) {
      const status = (await (await f(`${job.status_url}?logs=1`, { headers })).json()) as { status: string }
      seen.add(status.status)
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(seen.has("COMPLETED")).toBe(true)
    expect([...seen].every((s) => ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"].includes(s))).toBe(true)
    const result = (await (await f(requestUrl, { headers })).json()) as {
      video: { url: string; content_type: string; file_size: number }
    }
    expect(result.video.content_type).toBe("video/mp4")
    const media = await fetch(result.video.url)
    expect(media.status).toBe(200)
    expect((await media.arrayBuffer()).byteLength).toBe(result.video.file_size)
  })
})
