import { writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { api, ffprobe, postJson, useEmulator, type VideoJson, waitDone } from "./helpers.ts"

describe("Videos API lifecycle", { timeout: 40_000 }, () => {
  const emu = useEmulator()

  it("creates from JSON, goes queued → in_progress → completed, serves a real MP4", async () => {
    const res = await postJson(emu(), "/videos", { prompt: "a red kite over the sea", seconds: "4", size: "720x1280" })
    expect(res.status).toBe(200)
    expect(res.headers.get("x-request-id")).toMatch(/^req_/)
    const created = (await res.json()) as VideoJson
    expect(created.id).toMatch(/^video_[0-9a-f]{48}$/)
    expect(created).toMatchObject({
      object: "video",
      status: "queued",
      progress: 0,
      seconds: "4",
      size: "720x1280",
      model: "sora-2"
    })
    expect(created.completed_at).toBeNull()

    const done = await waitDone(emu(), created.id)
    expect(done.status).toBe("completed")
    expect(done.progress).toBe(100)
    expect(done.expires_at).toBe((done.completed_at as number) + 3600)

    const content = await api(emu(), `/videos/${created.id}/content`)
    expect(content.status).toBe(200)
    expect(content.headers.get("content-type")).toBe("video/mp4")
    const file = join(tmpdir(), `${created.id}.mp4`)
    await writeFile(file, Buffer.from(await content.arrayBuffer()))
    const probe = await ffprobe(file)
    const video = probe.streams.find((s) => s.codec_type === "video")
    const audio = probe.streams.find((s) => s.codec_type === "audio")
    expect(video).toMatchObject({
      codec_name: "h264",
      pix_fmt: "yuv420p",
      width: 720,
      height: 1280,
      r_frame_rate: "30/1",
      nb_read_frames: "120"
    })
    expect(audio).toMatchObject({ codec_name: "aac", channels: 2, sample_rate: "48000" })
    expect(probe.format.format_name).toContain("mp4")

    const thumb = await api(emu(), `/videos/${created.id}/content?variant=thumbnail`)
    expect(thumb.headers.get("content-type")).toBe("image/webp")
    expect(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(8, 12)
        .toString()
    ).toBe("WEBP")
    const sprite = await api(emu(), `/videos/${created.id}/content?variant=spritesheet`)
    expect(sprite.headers.get("content-type")).toBe("image/jpeg")
    expect(Buffer.from(await sprite.arrayBuffer())[0]).toBe(0xff)

    const stats = emu().stats()
    const job = stats.jobs.find((j) => j.id === created.id)
    expect(job?.status).toBe("completed")
    expect(job?.completedAt).toBeGreaterThan(job?.createdAt ?? Infinity)
    // The real render finished before (or as) the job completed: both conditions must hold.
    expect(job?.renderedAt).toBeGreaterThanOrEqual(job?.createdAt ?? Infinity)
    expect(job?.renderedAt).toBeLessThanOrEqual(job?.completedAt ?? -Infinity)
  })
})
