import { writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import sharp from "sharp"
import { describe, expect, it } from "vitest"
import { api, ffprobe, postJson, referencePng, run, useEmulator, type VideoJson, waitDone } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

const ssim = async (args: Array<string>): Promise<number> => {
  const { stderr } = await run("ffmpeg", ["-hide_banner", "-nostats", ...args, "-f", "null", "-"])
  const m = /All:([\d.]+)/.exec(stderr)
  if (!m) throw new Error(`no SSIM in ${stderr}`)
  return Number(m[1])
}

/** Downloads a completed job's MP4 to a temp file. */
const download = async (emu: Parameters<typeof api>[0], id: string): Promise<string> => {
  const clip = join(tmpdir(), `${id}.mp4`)
  await writeFile(clip, Buffer.from(await (await api(emu, `/videos/${id}/content`)).arrayBuffer()))
  return clip
}

/** What a stream-copy join needs to be equal across clips (SPS/PPS = the extradata). */
const codecParameters = async (clip: string) => {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-show_data_hash", "md5", "-of", "json", "-show_entries"],
    "stream=codec_type,codec_name,profile,level,extradata_hash,time_base,start_pts,width,height,pix_fmt,has_b_frames,color_range,color_space,color_transfer,color_primaries,chroma_location,sample_aspect_ratio,sample_rate,channels,channel_layout",
    clip
  ])
  return (JSON.parse(stdout) as { streams: Array<Record<string, unknown>> }).streams
}

describe("media from an input_reference", { timeout: 40_000 }, () => {
  const emu = useEmulator()

  it("multipart upload: first frame is the reference (SSIM ≥ 0.95), frames move, ffprobe checks out", async () => {
    const png = await referencePng(1280, 720)
    const ref = join(tmpdir(), `ref-${process.pid}.png`)
    await writeFile(ref, png)
    const form = new FormData()
    form.set("prompt", "a green ball rolls past a red box")
    form.set("model", "sora-2")
    form.set("seconds", "4")
    form.set("size", "1280x720")
    form.set("input_reference", new File([png], "ref.png", { type: "image/png" }))
    const res = await api(emu(), "/videos", { method: "POST", body: form })
    expect(res.status).toBe(200)
    const created = (await res.json()) as VideoJson
    expectSchema("VideoResource", created)
    const done = await waitDone(emu(), created.id)
    expectSchema("VideoResource", done)
    const clip = join(tmpdir(), `${created.id}.mp4`)
    await writeFile(clip, Buffer.from(await (await api(emu(), `/videos/${created.id}/content`)).arrayBuffer()))

    const first = await ssim(["-i", clip, "-i", ref, "-filter_complex", "[0:v]trim=end_frame=1[a];[a][1:v]ssim"])
    expect(first).toBeGreaterThanOrEqual(0.95)
    // Consecutive frames: compare the clip with itself shifted by one frame.
    const consecutive = await ssim([
      "-i",
      clip,
      "-filter_complex",
      "[0:v]split[a][b];[b]trim=start_frame=1,setpts=PTS-STARTPTS[c];[a][c]ssim"
    ])
    expect(consecutive).toBeLessThan(0.995)
    // The last frame is far from the first: motion accumulates.
    const lastVsRef = await ssim(["-sseof", "-0.05", "-i", clip, "-i", ref, "-filter_complex", "[0:v][1:v]ssim"])
    expect(lastVsRef).toBeLessThan(first - 0.05)

    const probe = await ffprobe(clip)
    const v = probe.streams.find((s) => s.codec_type === "video")
    expect(v).toMatchObject({
      codec_name: "h264",
      pix_fmt: "yuv420p",
      width: 1280,
      height: 720,
      avg_frame_rate: "30/1",
      nb_read_frames: "120"
    })
    expect(probe.streams.find((s) => s.codec_type === "audio")).toMatchObject({
      codec_name: "aac",
      channels: 2,
      sample_rate: "48000"
    })
  })

  it("bracketed data: URL and file_id references are accepted", async () => {
    const png = await referencePng(720, 1280)
    const form = new FormData()
    form.set("prompt", "p")
    form.set("input_reference[image_url]", `data:image/png;base64,${png.toString("base64")}`)
    const r1 = await api(emu(), "/videos", { method: "POST", body: form })
    expect(r1.status).toBe(200)
    const upload = new FormData()
    upload.set("purpose", "vision")
    upload.set("file", new File([png], "ref.png", { type: "image/png" }))
    const file = (await (await api(emu(), "/files", { method: "POST", body: upload })).json()) as { id: string }
    expect(file.id).toMatch(/^file-/)
    const form2 = new FormData()
    form2.set("prompt", "p")
    form2.set("input_reference[file_id]", file.id)
    // Only the first one renders; the others are validated (size, MIME) and then kept queued.
    const stuck = { "x-emulator-fault": "stuck" }
    const r2 = await api(emu(), "/videos", { method: "POST", body: form2, headers: stuck })
    expect(r2.status).toBe(200)
    const json = await fetch(`${emu().baseURL}/videos`, {
      method: "POST",
      headers: { authorization: "Bearer sk-emulator", "content-type": "application/json", ...stuck },
      body: JSON.stringify({ prompt: "p", input_reference: { file_id: file.id } })
    })
    expect(json.status).toBe(200)
    expect((await waitDone(emu(), ((await r1.json()) as VideoJson).id)).status).toBe("completed")
    for (const r of [r2, json]) expect(((await r.json()) as VideoJson).status).toBe("queued")
  })

  it("clips with and without a reference share codec parameters; every frame moves; 2 s GOPs; audio as long as video", async () => {
    // A JPEG: full-range BT.601 with centred chroma, none of which may reach the clip's SPS.
    const jpeg = await sharp(await referencePng(1280, 720))
      .jpeg()
      .toBuffer()
    const form = new FormData()
    form.set("prompt", "a paper boat drifts down a gutter")
    form.set("size", "1280x720")
    form.set("input_reference", new File([jpeg], "ref.jpg", { type: "image/jpeg" }))
    const withRef = (await (await api(emu(), "/videos", { method: "POST", body: form })).json()) as VideoJson
    const plain = (await (await postJson(emu(), "/videos", { prompt: "p", size: "1280x720" })).json()) as VideoJson
    for (const job of [withRef, plain]) expect((await waitDone(emu(), job.id)).status).toBe("completed")
    const clips = [await download(emu(), withRef.id), await download(emu(), plain.id)]

    // Joinable by stream copy: identical SPS/PPS, time base, colour description and audio config.
    const [a, b] = await Promise.all(clips.map(codecParameters))
    expect(a).toEqual(b)
    expect(a?.find((s) => s.codec_type === "video")).toMatchObject({ has_b_frames: 0, color_range: "tv" })

    for (const clip of clips) {
      // Every frame differs from the one before it (the bar moves from frame 1 on).
      const { stdout: md5 } = await run("ffmpeg", ["-v", "error", "-i", clip, "-map", "0:v", "-f", "framemd5", "-"])
      const hashes = md5
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(",").at(-1)?.trim())
      expect(hashes).toHaveLength(120)
      expect(hashes.filter((h, i) => i > 0 && h === hashes[i - 1])).toEqual([])
      // A keyframe every 2 s.
      const { stdout: packets } = await run("ffprobe", [
        ...["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", clip]
      ])
      const keyframes = packets
        .trim()
        .split("\n")
        .filter((l) => l.split(",")[1]?.startsWith("K"))
        .map((l) => Number(l.split(",")[0]))
      expect(keyframes).toEqual([0, 2])
      // The sine lasts exactly as long as the picture.
      const { stdout: durations } = await run("ffprobe", [
        ...["-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "csv=p=0", clip]
      ])
      expect(durations.trim().split("\n").sort()).toEqual(["audio,4.000000", "video,4.000000"])
    }
  })
})

describe("realistic bitrate (render.videoBitrate)", { timeout: 40_000 }, () => {
  const emu = useEmulator({ render: { videoBitrate: 5_000_000 } })

  it("an 8 s 720p clip at 5 Mbit/s is about 5 MB, as a provider's is", async () => {
    const created = (await (
      await postJson(emu(), "/videos", { prompt: "a kite over dunes", model: "sora-2", seconds: "8", size: "1280x720" })
    ).json()) as VideoJson
    await waitDone(emu(), created.id)
    const clip = await download(emu(), created.id)
    const probe = await ffprobe(clip)
    const bytes = Number((await run("stat", ["-c", "%s", clip])).stdout)
    // 8 s × 5 Mbit/s = 5 MB of video, plus 96 kbit/s of audio and the header.
    expect(bytes).toBeGreaterThan(4_700_000)
    expect(bytes).toBeLessThan(5_600_000)
    expect(probe.streams.find((s) => s.codec_type === "video")).toMatchObject({ width: 1280, nb_read_frames: "240" })
  })
})
