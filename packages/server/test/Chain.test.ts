/**
 * Chain strategies over `POST /v1/videos` (`longsora serve` as a real process, called by the `openai`
 * package and curl) against an emulator the test owns, so every create, extension and keyframe image
 * is counted across server processes: `chain: "keyframes"` (Veo over the Gemini dialect, keyframes
 * through the OpenAI Images API) resumed after a SIGKILL without paying twice, `chain: "extend"`
 * (Sora's extensions), and the strategies the API refuses before anything is paid.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const veo = "google:veo-3.1-generate-preview"

let dir: string
let emulator: Emulator.RunningEmulator

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-chain-"))
  emulator = await Emulator.start({
    render: { secondsPerVideoSecond: 0.25, fixedSeconds: 0.2 },
    models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
  })
})

afterAll(async () => {
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

type Video = OpenAI.Videos.Video & { readonly longsora: Record<string, unknown> }

/** The server on the test's emulator: Sora and the Images API by the OpenAI protocol, Veo by Gemini's. */
const serve = (dataDir: string, ...extra: Array<string>) =>
  ServeProcess.start(
    ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--gateway-model", "tiny:2,4:320x180:0.1", ...extra],
    ServeProcess.baseEnv({
      OPENAI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: `${new URL(emulator.baseURL).origin}/v1beta`
    })
  )

const clientOf = (server: ServeProcess.Serving) =>
  new OpenAI({ apiKey: "local", baseURL: server.baseURL, maxRetries: 0 })

const create = async (client: OpenAI, body: Record<string, unknown>) =>
  (await client.videos.create(body as unknown as OpenAI.Videos.VideoCreateParams)) as Video

const finished = (client: OpenAI, id: string) =>
  ServeProcess.until(async () => {
    const video = (await client.videos.retrieve(id)) as Video
    return video.status === "completed" || video.status === "failed" ? video : undefined
  }, 60_000)

const counts = () => {
  const stats = emulator.stats()
  return {
    creates: stats.creates,
    extensions: stats.requestsByRoute["POST /v1/videos/extensions"] ?? 0,
    images: stats.images.total
  }
}

const since = (before: ReturnType<typeof counts>) => {
  const now = counts()
  return {
    creates: now.creates - before.creates,
    extensions: now.extensions - before.extensions,
    images: now.images - before.images
  }
}

describe("longsora serve: chain strategies", { timeout: 120_000 }, () => {
  it('chain: "keyframes": 3 images of --image-model and 2 creates, shown on the Video object; SIGKILL mid-job and a restart pay nothing twice', async () => {
    const dataDir = join(dir, "keyframes")
    const imageModel = ["--image-model", "gpt-image-1-mini"]
    const before = counts()
    const first = await serve(dataDir, ...imageModel)
    const { created, unfinished } = await (async () => {
      try {
        const created = await create(clientOf(first), {
          prompt: "A red paper boat drifts down a rain-soaked street.",
          model: veo,
          seconds: "8",
          segments: 2,
          chain: "keyframes"
        })
        // Killed once the keyframes and both segments are paid for (their job ids recorded: no create is
        // in flight, whose answer would be lost), before the job is done.
        const unfinished = await ServeProcess.until(
          async () => {
            const video = (await clientOf(first).videos.retrieve(created.id)) as Video
            const segments = video.longsora.segments as Array<{ job_id: string | null }>
            return segments.every((segment) => segment.job_id !== null) ? video : undefined
          },
          60_000,
          20
        )
        return { created, unfinished }
      } finally {
        await first.kill()
      }
    })()
    expect(unfinished.status).not.toBe("completed")
    // 8 s of Veo at $0.40/s and 3 keyframe images of gpt-image-1-mini at $0.015 ($3.245, in cents).
    expect(created.longsora).toMatchObject({ chain: "keyframes", mode: "chained", durations: [4, 4] })
    expect(created.longsora.estimated_cost_usd).toBe(3.25)

    const second = await serve(dataDir, ...imageModel)
    try {
      const video = await finished(clientOf(second), created.id)
      expect([video.status, video.error]).toEqual(["completed", null])
      expect(video.longsora).toMatchObject({ chain: "keyframes", join_method: "copy-cut", replaced_jobs: [] })
      expect(since(before)).toEqual({ creates: 2, extensions: 0, images: 3 })
      const manifest = JSON.parse(readFileSync(join(dataDir, "jobs", created.id, ".longsora", "manifest.json"), "utf8"))
      expect(manifest.keyframes.map((k: { model: string }) => k.model)).toEqual(Array(3).fill("gpt-image-1-mini"))
    } finally {
      await second.stop()
    }
  })

  it('chain: "extend": one create and one extension, the provider\'s stitched video', async () => {
    const server = await serve(join(dir, "extend"))
    try {
      const client = clientOf(server)
      const before = counts()
      const created = await create(client, {
        prompt: "A kite climbs over the dunes.",
        model: "sora-2",
        seconds: "8",
        segments: 2,
        chain: "extend"
      })
      const video = await finished(client, created.id)
      expect([video.status, video.error]).toEqual(["completed", null])
      expect(video.longsora).toMatchObject({ chain: "extend", durations: [4, 4], join_method: "provider" })
      // The emulator counts an extension as a create too.
      expect(since(before)).toEqual({ creates: 2, extensions: 1, images: 0 })
    } finally {
      await server.stop()
    }
  })

  it("refuses a strategy that cannot run, before anything is paid, naming chain and what is allowed", async () => {
    const server = await serve(join(dir, "refused"))
    try {
      const post = async (body: Record<string, unknown>) => {
        const answer = await ServeProcess.curl([
          `${server.baseURL}/videos`,
          "-H",
          "content-type: application/json",
          "-d",
          JSON.stringify({ prompt: "A heron lifts off.", model: "tiny", seconds: "4", ...body })
        ])
        return { status: answer.status, error: (JSON.parse(answer.body.toString()) as { error: unknown }).error }
      }
      const before = counts()
      expect(await post({ chain: "sideways" })).toEqual({
        status: 400,
        error: expect.objectContaining({
          param: "chain",
          message:
            "Invalid value for 'chain': \"sideways\". Supported values are: true, false, 'last-frame', 'extend' and 'keyframes'."
        })
      })
      expect(await post({ chain: "keyframes", mode: "independent" })).toEqual({
        status: 400,
        error: expect.objectContaining({
          param: "chain",
          message: expect.stringMatching(/^'chain' is 'keyframes' but 'mode' is 'independent'/)
        })
      })
      expect(await post({ chain: "extend" })).toEqual({
        status: 400,
        error: expect.objectContaining({
          param: "chain",
          message: expect.stringMatching(
            /^Invalid chain: extend\. Allowed: last-frame for tiny \(tiny declares no native extension\)/
          )
        })
      })
      expect(await post({ chain: "keyframes" })).toMatchObject({ status: 400, error: { param: "chain" } })
      // Nothing was stored or paid for.
      expect(since(before)).toEqual({ creates: 0, extensions: 0, images: 0 })
      const listed = await ServeProcess.curl([`${server.baseURL}/videos`])
      expect((JSON.parse(listed.body.toString()) as { data: Array<unknown> }).data).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
