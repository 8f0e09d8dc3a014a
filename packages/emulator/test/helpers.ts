import { execFile } from "node:child_process"
import { promisify } from "node:util"
import sharp from "sharp"
import { afterAll, beforeAll } from "vitest"
import { Emulator } from "../src/index.ts"

export const run = promisify(execFile)
export const KEY = "sk-emulator"
export const auth = { authorization: `Bearer ${KEY}` }
export const jsonHeaders = { ...auth, "content-type": "application/json" }

/** Starts one emulator for the file's tests and closes it afterwards. */
export const useEmulator = (options: Emulator.EmulatorOptions = {}): (() => Emulator.RunningEmulator) => {
  let emu: Emulator.RunningEmulator | undefined
  beforeAll(async () => {
    emu = await Emulator.start({ render: { fixedSeconds: 0.05, secondsPerVideoSecond: 0.01 }, ...options })
  })
  afterAll(async () => {
    await emu?.close()
  })
  return () => {
    if (!emu) throw new Error("emulator not started")
    return emu
  }
}

export const api = (emu: Emulator.RunningEmulator, path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${emu.baseURL}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })

export const postJson = (
  emu: Emulator.RunningEmulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {}
) =>
  api(emu, path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers }
  })

export interface VideoJson {
  readonly id: string
  readonly status: string
  readonly progress: number
  readonly [k: string]: unknown
}

/** Polls until the job leaves queued/in_progress (or the deadline passes). */
export const waitDone = async (emu: Emulator.RunningEmulator, id: string, timeoutMs = 30_000): Promise<VideoJson> => {
  const deadline = Date.now() + timeoutMs
  const seen: Array<string> = []
  for (;;) {
    const v = (await (await api(emu, `/videos/${id}`)).json()) as VideoJson
    seen.push(v.status)
    if (v.status === "completed" || v.status === "failed") return v
    if (Date.now() > deadline) throw new Error(`timed out; statuses ${seen.join(",")}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A smooth, detailed test picture of the given size (PNG). */
export const referencePng = (width: number, height: number): Promise<Buffer> => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#204080"/><stop offset="1" stop-color="#e0a040"/></linearGradient></defs><rect width="${width}" height="${height}" fill="url(#g)"/><circle cx="${width / 3}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#30c070"/><rect x="${(width * 2) / 3}" y="${height / 4}" width="${width / 5}" height="${height / 3}" fill="#c03050"/></svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

export const ffprobe = async (path: string) => {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-show_entries",
    "stream=codec_type,codec_name,pix_fmt,width,height,r_frame_rate,avg_frame_rate,nb_read_frames,channels,sample_rate:format=format_name",
    "-of",
    "json",
    path
  ])
  return JSON.parse(stdout) as {
    streams: Array<Record<string, string | number>>
    format: { format_name: string }
  }
}
