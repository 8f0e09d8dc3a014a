import { writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { api, ffprobe, referencePng, run, useEmulator, type VideoJson, waitDone } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

const ssim = async (args: Array<string>): Promise<number> => {
  const { stderr } = await run("ffmpeg", ["-hide_banner", "-nostats", ...args, "-f", "null", "-"])
  const m = /All:([\d.]+)/.exec(stderr)
  if (!m) throw new Error(`no SSIM in ${stderr}`)
  return Number(m[1])
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
})
