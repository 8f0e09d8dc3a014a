import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { afterAll, describe, expect, it } from "vitest"
import { ffprobe, postJson, run, useEmulator, waitDone } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

/** Frame `index` of `video` as raw grey bytes at 160x90: enough to compare pictures. */
const frame = async (video: string, index: number): Promise<Buffer> => {
  const { stdout } = await run(
    "ffmpeg",
    [
      "-v",
      "error",
      "-i",
      video,
      "-vf",
      `select=eq(n\\,${index}),scale=160:90,format=gray`,
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-"
    ],
    { encoding: "buffer", maxBuffer: 1 << 20 }
  )
  return stdout as unknown as Buffer
}

const meanDifference = (a: Buffer, b: Buffer): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length
}

describe("POST /v1/videos/extensions", { timeout: 60_000 }, () => {
  const emu = useEmulator()
  const client = () => new OpenAI({ apiKey: "sk-emulator", baseURL: emu().baseURL, maxRetries: 0 })
  const dirs: Array<string> = []
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

  it("continues a completed video from its last frame and answers the stitched total (openai videos.extend)", async () => {
    const source = await client().videos.create({ prompt: "a paper boat drifts", seconds: "4", size: "1280x720" })
    await waitDone(emu(), source.id)
    const creates = emu().stats().creates
    const extension = await client().videos.extend({
      prompt: "the boat reaches the shore",
      seconds: "4",
      video: { id: source.id }
    })
    expectSchema("VideoResource", extension)
    expect([extension.seconds, extension.model, extension.size]).toEqual(["8", "sora-2", "1280x720"])
    expect(emu().stats().creates).toBe(creates + 1)
    expect((await waitDone(emu(), extension.id)).status).toBe("completed")

    const dir = await mkdtemp(join(tmpdir(), "emu-extend-"))
    dirs.push(dir)
    const save = async (id: string) => {
      const file = join(dir, `${id}.mp4`)
      await writeFile(file, Buffer.from(await (await client().videos.downloadContent(id)).arrayBuffer()))
      return file
    }
    const [before, after] = await Promise.all([save(source.id), save(extension.id)])
    const probe = await ffprobe(after)
    expect(probe.streams.find((s) => s.codec_type === "video")?.nb_read_frames).toBe("240")
    expect(probe.streams.some((s) => s.codec_type === "audio")).toBe(true)
    // The first 4 s are the source; the new part opens on the source's last frame.
    expect(meanDifference(await frame(after, 0), await frame(before, 0))).toBeLessThan(1)
    const seam = meanDifference(await frame(after, 120), await frame(before, 119))
    // H.264 re-encodes the seam picture (measured 0.4–2.1 of 255); a frame a third of a second
    // earlier in the source is much further away (measured 4.9–6.9).
    expect(seam).toBeLessThan(3)
    expect(seam).toBeLessThan(meanDifference(await frame(after, 120), await frame(before, 109)) / 2)
    // ... and the picture moves on from there (the sweep continues).
    expect(meanDifference(await frame(after, 150), await frame(before, 119))).toBeGreaterThan(seam)
  })

  it("refuses what the contract refuses, and creates nothing", async () => {
    const stuck = await client().videos.create(
      { prompt: "never finishes", seconds: "4" },
      { headers: { "x-emulator-fault": "stuck" } }
    )
    const creates = emu().stats().creates
    const cases: Array<[unknown, number, string]> = [
      [
        { prompt: "x", seconds: "10", video: { id: stuck.id } },
        400,
        "Invalid value: '10'. Supported values are: '4', '8', '12', '16', and '20'."
      ],
      [{ prompt: "x", seconds: "4", video: { id: stuck.id }, size: "1280x720" }, 400, "Unknown parameter: 'size'."],
      [{ prompt: "x", seconds: "4" }, 400, "Missing required parameter: 'video'."],
      [
        { prompt: "x", seconds: "4", video: { id: stuck.id } },
        400,
        `Video '${stuck.id}' is not completed; only completed videos can be extended.`
      ],
      [{ prompt: "x", seconds: "4", video: { id: "video_missing" } }, 404, "Video with id 'video_missing' not found."]
    ]
    for (const [body, status, message] of cases) {
      const res = await postJson(emu(), "/videos/extensions", body)
      expect(res.status).toBe(status)
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(message)
    }
    expect(emu().stats().creates).toBe(creates)
  })
})
