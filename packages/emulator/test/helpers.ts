import { type ChildProcess, execFile, spawn } from "node:child_process"
import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
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

/** Anything with a base URL: an in-process emulator or a child process. */
export type Endpoint = Pick<Emulator.RunningEmulator, "baseURL">

export const api = (emu: Endpoint, path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${emu.baseURL}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })

export const postJson = (emu: Endpoint, path: string, body: unknown, headers: Record<string, string> = {}) =>
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
export const waitDone = async (emu: Endpoint, id: string, timeoutMs = 30_000): Promise<VideoJson> => {
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

export interface ChildEmulator {
  readonly baseURL: string
  readonly child: ChildProcess
  /** Sends `signal` and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<void>
}

/** `longsora-emulator` in its own process (for crash and restart tests), ready once it printed its URL. */
export const startChild = async (args: ReadonlyArray<string>): Promise<ChildEmulator> => {
  const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const child = spawn(process.execPath, [bin, "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const baseURL = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()))
    child.once("exit", (code) => reject(new Error(`emulator exited (${code}) before it listened`)))
  })
  return {
    baseURL,
    child,
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    }
  }
}

/**
 * Total bytes of the files under `dir` that requests left, so not the running emulator's lock; a file
 * removed while it is being counted counts as 0 (the server deletes uploads concurrently).
 */
export const bytesUnder = async (dir: string): Promise<number> => {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name === "emulator.lock") continue
    total += await stat(join(entry.parentPath, entry.name)).then(
      (s) => s.size,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return 0
        throw error
      }
    )
  }
  return total
}

export interface Part {
  readonly name: string
  readonly value: string | Buffer
  readonly filename?: string
  readonly type?: string
}

export const BOUNDARY = "----emulatortest7MA4YWxkTrZu0gW"

/** The bytes opening one multipart part (its headers). */
export const partHead = (p: Omit<Part, "value">): Buffer => {
  const disp = `Content-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}`
  const type = p.type ? `\r\nContent-Type: ${p.type}` : ""
  return Buffer.from(`--${BOUNDARY}\r\n${disp}${type}\r\n\r\n`)
}

/** A hand-built multipart body (exact part headers, e.g. a chosen Content-Type), with its header. */
export const multipart = (parts: ReadonlyArray<Part>) => {
  const chunks: Array<Buffer> = []
  for (const p of parts) chunks.push(partHead(p), Buffer.from(p.value), Buffer.from("\r\n"))
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return { body: Buffer.concat(chunks), headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` } }
}
