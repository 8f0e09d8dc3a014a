/**
 * The Videos API of `longsora serve --offline` (a real child process), called by the unmodified
 * `openai` package and by curl: long videos made, listed, downloaded (with Range), followed as
 * Server-Sent Events, deleted; invalid requests refused in the contract's envelope before anything
 * is paid.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import OpenAI, { toFile } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const exec = promisify(execFile)

/** A small, fast model on the embedded emulator: 320x180 clips of 4, 8 or 12 s. */
const tiny = "tiny:4,8,12:320x180:0.1"

let dir: string
let server: ServeProcess.Serving
let client: OpenAI

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-api-"))
  server = await ServeProcess.start(["--offline", "--data-dir", join(dir, "data"), "--gateway-model", tiny])
  client = new OpenAI({ apiKey: "unused-on-loopback-without-keys", baseURL: server.baseURL, maxRetries: 0 })
}, 60_000)

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Video = OpenAI.Videos.Video & { readonly longsora: Record<string, unknown> }

const finished = (id: string, timeoutMs = 60_000) =>
  ServeProcess.until(async () => {
    const video = await client.videos.retrieve(id)
    return video.status === "completed" || video.status === "failed" ? (video as Video) : undefined
  }, timeoutMs)

const probeDuration = async (file: string) => {
  const { stdout } = await exec("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file])
  return Number(stdout.trim())
}

describe("longsora serve: the Videos API", { timeout: 120_000 }, () => {
  it("openai package: videos.create with seconds '24' and LongSora's extra fields, retrieve, downloadContent", async () => {
    const params = {
      prompt: "A paper boat drifts down a rain gutter.",
      model: "tiny",
      seconds: "24",
      // LongSora's own fields, sent as extra body fields (the SDK passes unknown keys through).
      segments: 3,
      plan_model: "gpt-5",
      transition: "cut"
    }
    const created = (await client.videos.create(params as unknown as OpenAI.Videos.VideoCreateParams)) as Video
    expect(created).toMatchObject({ object: "video", status: "queued", seconds: "24", size: "320x180", model: "tiny" })
    expect(created.id).toMatch(/^video_[0-9a-f]{48}$/)
    expect(created.longsora).toMatchObject({ durations: [8, 8, 8], estimated_cost_usd: 2.4 })

    const video = await finished(created.id)
    expect(video).toMatchObject({ status: "completed", progress: 100, error: null })
    expect(video.completed_at).toBeGreaterThanOrEqual(video.created_at)
    const extras = video.longsora as { segments: Array<{ state: string; job_id: string }>; plan: { segments: [] } }
    expect(extras.segments.map((s) => s.state)).toEqual(["completed", "completed", "completed"])
    expect(extras.segments.every((s) => s.job_id.startsWith("video_"))).toBe(true)
    expect(extras.plan.segments).toHaveLength(3)

    const response = await client.videos.downloadContent(created.id)
    const file = join(dir, "boat.mp4")
    writeFileSync(file, new Uint8Array(await response.arrayBuffer()))
    expect(response.headers.get("content-type")).toBe("video/mp4")
    expect(await probeDuration(file)).toBeGreaterThan(23)

    const thumbnail = await client.videos.downloadContent(created.id, { variant: "thumbnail" })
    const bytes = new Uint8Array(await thumbnail.arrayBuffer())
    expect(thumbnail.headers.get("content-type")).toBe("image/jpeg")
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8])
  })

  it("list: cursor pages (after, limit, order) with first_id, last_id and has_more; the SDK pages through all", async () => {
    const ids: Array<string> = []
    for (const n of [1, 2, 3]) {
      const video = await client.videos.create({
        prompt: `Listing test ${n}`,
        model: "tiny",
        seconds: "4"
      } as unknown as OpenAI.Videos.VideoCreateParams)
      ids.push(video.id)
    }
    const page = await client.videos.list({ limit: 2, order: "asc" })
    const all = (await ServeProcess.curl([`${server.baseURL}/videos?order=asc&limit=100`])).body
    const everything = JSON.parse(all.toString()) as { data: Array<{ id: string }> }
    const expected = everything.data.map((v) => v.id)
    expect(expected.slice(-3)).toEqual(ids)
    expect(page.data.map((v) => v.id)).toEqual(expected.slice(0, 2))
    const raw = JSON.parse(
      (await ServeProcess.curl([`${server.baseURL}/videos?order=asc&limit=2&after=${expected[0]}`])).body.toString()
    ) as { object: string; first_id: string; last_id: string; has_more: boolean; data: Array<{ id: string }> }
    expect(raw).toMatchObject({ object: "list", first_id: expected[1], last_id: expected[2], has_more: true })

    const paged: Array<string> = []
    for await (const video of client.videos.list({ limit: 1, order: "desc" })) paged.push(video.id)
    expect(paged).toEqual([...expected].reverse())
    await Promise.all(ids.map((id) => finished(id)))
  })

  it("curl: multipart with an input_reference file, content with Range (206, 416), events as SSE, delete", async () => {
    const png = join(dir, "reference.png")
    await exec("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "color=c=teal:s=640x360:d=1",
      "-frames:v",
      "1",
      png
    ])
    const created = await ServeProcess.curl([
      `${server.baseURL}/videos`,
      "-F",
      "prompt=A teal room slowly fills with light.",
      "-F",
      "model=tiny",
      "-F",
      "seconds=8",
      "-F",
      "durations[]=4",
      "-F",
      "durations[]=4",
      "-F",
      "chain=true",
      "-F",
      `input_reference=@${png};type=image/png`
    ])
    expect(created.status).toBe(200)
    const id = (JSON.parse(created.body.toString()) as { id: string }).id

    const notReady = await ServeProcess.curl([`${server.baseURL}/videos/${id}/content`])
    expect([404, 200]).toContain(notReady.status)

    const events = await ServeProcess.curl(["-N", `${server.baseURL}/videos/${id}/events`])
    expect(events.headers).toMatch(/content-type: text\/event-stream/i)
    const frames = events.body
      .toString()
      .split("\n\n")
      .filter((frame) => frame.includes("data: "))
      .map((frame) => ({
        id: Number(/^id: (.*)$/m.exec(frame)![1]),
        event: /^event: (.*)$/m.exec(frame)![1],
        data: JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) as { _tag: string; video?: { status: string } }
      }))
    const tags = frames.map((frame) => frame.data._tag)
    expect(tags[0]).toBe("Started")
    expect(tags).toContain("Planned")
    expect(tags).toContain("SegmentCompleted")
    expect(tags.indexOf("Joined")).toBe(tags.length - 2)
    expect(frames[frames.length - 1]).toMatchObject({ event: "completed", data: { _tag: "Completed" } })
    expect(frames[frames.length - 1]!.data.video!.status).toBe("completed")
    // Reconnecting with Last-Event-ID continues after that event.
    const resumed = await ServeProcess.curl([
      "-N",
      "-H",
      `Last-Event-ID: ${frames[frames.length - 2]!.id}`,
      `${server.baseURL}/videos/${id}/events`
    ])
    expect(resumed.body.toString()).toMatch(new RegExp(`^id: ${frames[frames.length - 1]!.id}\nevent: completed\n`))

    const whole = await ServeProcess.curl([`${server.baseURL}/videos/${id}/content`])
    expect(whole.status).toBe(200)
    expect(whole.headers).toMatch(/accept-ranges: bytes/i)
    const size = whole.body.length
    const part = await ServeProcess.curl(["-H", "Range: bytes=100-199", `${server.baseURL}/videos/${id}/content`])
    expect(part.status).toBe(206)
    expect(part.headers).toMatch(new RegExp(`content-range: bytes 100-199/${size}`, "i"))
    expect(part.body.equals(whole.body.subarray(100, 200))).toBe(true)
    const tail = await ServeProcess.curl(["-H", "Range: bytes=-10", `${server.baseURL}/videos/${id}/content`])
    expect(tail.body.equals(whole.body.subarray(size - 10))).toBe(true)
    const outside = await ServeProcess.curl(["-H", `Range: bytes=${size}-`, `${server.baseURL}/videos/${id}/content`])
    expect(outside.status).toBe(416)
    expect(outside.headers).toMatch(new RegExp(`content-range: bytes \\*/${size}`, "i"))

    const deleted = await ServeProcess.curl(["-X", "DELETE", `${server.baseURL}/videos/${id}`])
    expect(JSON.parse(deleted.body.toString())).toEqual({ id, object: "video.deleted", deleted: true })
    expect((await ServeProcess.curl([`${server.baseURL}/videos/${id}`])).status).toBe(404)
  })

  it("openai package: an input_reference uploaded with toFile (multipart, image/png) is accepted and the job completes", async () => {
    const png = join(dir, "reference-sdk.png")
    await exec("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x180:d=1", "-frames:v", "1", png])
    const { readFileSync } = await import("node:fs")
    const video = await client.videos.create({
      prompt: "A red square breathes.",
      model: "tiny",
      seconds: "4",
      input_reference: await toFile(readFileSync(png), "reference.png", { type: "image/png" })
    } as unknown as OpenAI.Videos.VideoCreateParams)
    expect((await finished(video.id)).status).toBe("completed")
  })

  it("openai package: a video input_reference (video/mp4) is continued from its last frame; one without a picture is refused", async () => {
    const clip = join(dir, "reference.mp4")
    await exec("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=320x180:r=24:d=1",
      "-pix_fmt",
      "yuv420p",
      clip
    ])
    const { readFileSync } = await import("node:fs")
    const video = await client.videos.create({
      prompt: "The pattern keeps scrolling.",
      model: "tiny",
      seconds: "4",
      input_reference: await toFile(readFileSync(clip), "reference.mp4", { type: "video/mp4" })
    } as unknown as OpenAI.Videos.VideoCreateParams)
    expect((await finished(video.id)).status).toBe("completed")
    const sound = join(dir, "sound.m4a")
    await exec("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", sound])
    const refused = await client.videos
      .create({
        prompt: "Nothing to see.",
        model: "tiny",
        seconds: "4",
        input_reference: await toFile(readFileSync(sound), "sound.m4a", { type: "audio/mp4" })
      } as unknown as OpenAI.Videos.VideoCreateParams)
      .then(
        () => undefined,
        (error: unknown) => error as { status: number; message: string }
      )
    expect(refused?.status).toBe(400)
    expect(refused?.message).toContain("it has no video stream")
  })

  it("openai package: a given plan (a nested extra field, sent as bracketed form fields) is used as it is", async () => {
    const plan = {
      brief: "Watercolour, a fox, late autumn.",
      segments: [
        { prompt: "A fox steps out of the ferns.", seconds: 8 },
        { prompt: "The fox trots along a frosty log.", seconds: 4 }
      ]
    }
    const created = (await client.videos.create({
      prompt: "A fox steps out of the ferns.",
      model: "tiny",
      plan,
      mode: "chained"
    } as unknown as OpenAI.Videos.VideoCreateParams)) as Video
    expect(created).toMatchObject({ seconds: "12", longsora: { durations: [8, 4] } })
    const video = await finished(created.id)
    expect(video.status).toBe("completed")
    expect(video.longsora.plan).toEqual(plan)
  })

  it("refuses what cannot work before anything is paid, in the contract's error envelope, naming the fix", async () => {
    const post = (body: unknown) =>
      ServeProcess.curl([
        `${server.baseURL}/videos`,
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify(body)
      ]).then(({ status, body }) => ({ status, error: (JSON.parse(body.toString()) as { error: unknown }).error }))
    expect(await post({ prompt: "x", seconds: "8", width: 3 })).toEqual({
      status: 400,
      error: expect.objectContaining({ param: "width", code: "unknown_parameter", type: "invalid_request_error" })
    })
    const unformable = await post({ prompt: "x", model: "tiny", seconds: "10" })
    expect(unformable.status).toBe(400)
    expect(unformable.error).toMatchObject({ param: "seconds", message: expect.stringMatching(/Try seconds 8 or 12/) })
    const segments = await post({ prompt: "x", model: "tiny", seconds: "24", num_generations: 1 })
    expect(segments.error).toMatchObject({ param: "seconds", message: expect.stringMatching(/num_generations 2/) })
    const size = await post({ prompt: "x", model: "tiny", size: "1920x1080" })
    expect(size.error).toMatchObject({ param: "size", message: expect.stringMatching(/320x180/) })
    expect((await post({ seconds: "8" })).error).toMatchObject({ code: "missing_required_parameter", param: "prompt" })
    expect((await post({ prompt: "x", model: "veo-9" })).error).toMatchObject({
      param: "model",
      code: "model_not_found"
    })
    const conflict = await post({ prompt: "x", model: "tiny", chain: false, mode: "chained" })
    expect(conflict.error).toMatchObject({ param: "chain" })
    const missing = await ServeProcess.curl([`${server.baseURL}/videos/video_${"0".repeat(48)}`])
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body.toString())).toMatchObject({ error: { code: "not_found" } })
    await expect(client.videos.retrieve("video_nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })
})
