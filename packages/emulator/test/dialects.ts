/**
 * Helpers for the dialect tests (Gemini, fal, xAI): frame-exact comparisons with ffmpeg, a download
 * function for `experimental_generateVideo` that may reach the loopback emulator, test pictures.
 */
import { writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { createGoogleGenerativeAI } from "@ai-sdk/google"
import { APICallError } from "ai"
import sharp from "sharp"
import { ffprobe, run } from "./helpers.ts"

/**
 * The AI SDK's default download refuses loopback and private addresses (SSRF guard), so a client
 * of a local emulator passes its own; LongSora's generator streams URLs to disk itself.
 */
export const loopbackDownload = async ({ url }: { url: URL }) => {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`download of ${url.pathname} failed: HTTP ${res.status}`)
  return { data: new Uint8Array(await res.arrayBuffer()), mediaType: res.headers.get("content-type") ?? undefined }
}

/** A picture distinct per `hue`: a gradient, a disc and a bar, `width`x`height` PNG. */
export const picture = (width: number, height: number, hue: number): Promise<Buffer> => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="hsl(${hue},60%,25%)"/><stop offset="1" stop-color="hsl(${(hue + 140) % 360},70%,60%)"/></linearGradient></defs><rect width="${width}" height="${height}" fill="url(#g)"/><circle cx="${width / 3}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="hsl(${(hue + 70) % 360},70%,50%)"/><rect x="${(width * 2) / 3}" y="${height / 4}" width="${width / 5}" height="${height / 3}" fill="hsl(${(hue + 200) % 360},60%,45%)"/></svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

export const dataUrl = (png: Buffer): string => `data:image/png;base64,${png.toString("base64")}`

let counter = 0
export const tempFile = async (bytes: Uint8Array, ext: string): Promise<string> => {
  const path = join(tmpdir(), `dialect-${process.pid}-${counter++}.${ext}`)
  await writeFile(path, bytes)
  return path
}

/**
 * PSNR (dB) of frame `index` of `clip` against `image`, the image scaled to the clip's size and
 * converted as the emulator converts stills. ≥ 45 dB: the frame IS the image (codec loss only).
 */
export const psnrAt = async (clip: string, index: number, image: string): Promise<number> => {
  const { stderr } = await run("ffmpeg", [
    ...["-hide_banner", "-nostats", "-i", clip, "-i", image, "-filter_complex"],
    `[0:v]select='eq(n\\,${index})',setpts=0[a];[1:v][a]scale2ref=w=iw:h=ih:out_color_matrix=bt709:out_range=tv[b][a2];[b]format=yuv420p,setsar=1,setpts=0[b2];[a2][b2]psnr`,
    ...["-f", "null", "-"]
  ])
  const m = /average:([\d.]+|inf)/.exec(stderr)
  if (!m) throw new Error(`no PSNR in ${stderr}`)
  return m[1] === "inf" ? Number.POSITIVE_INFINITY : Number(m[1])
}

/** Width, height and frame count of the clip's video stream. */
export const videoShape = async (clip: string) => {
  const probe = await ffprobe(clip)
  const video = probe.streams.find((s) => s.codec_type === "video")
  const audio = probe.streams.find((s) => s.codec_type === "audio")
  return {
    size: `${video?.width}x${video?.height}`,
    frames: Number(video?.nb_read_frames),
    codec: video?.codec_name,
    audio: audio?.codec_name
  }
}

export const EXACT_DB = 45

/** `Experimental_VideoModelV4` from `@ai-sdk/provider` (both providers' `video()` return it). */
export type VideoModelV4 = ReturnType<ReturnType<typeof createGoogleGenerativeAI>["video"]>
type StartOptions = Parameters<NonNullable<VideoModelV4["doStart"]>>[0]
type StartResult = Awaited<ReturnType<NonNullable<VideoModelV4["doStart"]>>>
type StatusResult = Awaited<ReturnType<NonNullable<VideoModelV4["doStatus"]>>>
export type Operation = StartResult["operation"]

/** Call options `generateVideo` would fill in. */
const BASE_CALL: StartOptions = {
  prompt: undefined,
  n: 1,
  aspectRatio: undefined,
  resolution: undefined,
  duration: undefined,
  fps: undefined,
  seed: undefined,
  image: undefined,
  frameImages: undefined,
  inputReferences: undefined,
  generateAudio: undefined,
  providerOptions: {},
  headers: {}
}

/** The model's low-level `doStart`, with the call options `generateVideo` would fill in. */
export const doStart = async (model: VideoModelV4, options: Partial<StartOptions>): Promise<StartResult> => {
  if (!model.doStart) throw new Error(`${model.provider} has no doStart`)
  return await model.doStart({ ...BASE_CALL, ...options })
}

export const doStatus = async (
  model: VideoModelV4,
  operation: Operation,
  headers: Record<string, string> = {}
): Promise<StatusResult> => {
  if (!model.doStatus) throw new Error(`${model.provider} has no doStatus`)
  return await model.doStatus({ operation, headers })
}

/** Polls doStatus until completed; returns the first video's URL. */
export const pollUntilDone = async (model: VideoModelV4, operation: Operation): Promise<string> => {
  for (let i = 0; i < 600; i++) {
    const status = await doStatus(model, operation)
    if (status.status === "error") throw new Error(status.error)
    if (status.status === "completed") {
      const video = status.videos[0]
      if (video?.type !== "url") throw new Error("expected a URL video")
      return video.url
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("operation did not finish")
}

export const fetchBytes = async (url: string): Promise<Uint8Array> =>
  new Uint8Array(await (await fetch(url)).arrayBuffer())

/** The provider package's `APICallError` that `call` ends in (a test failure if it succeeds or fails otherwise). */
export const failure = async (call: Promise<unknown>): Promise<APICallError> => {
  const e = await call.then(
    () => undefined,
    (error: unknown) => error
  )
  if (!APICallError.isInstance(e)) throw new Error(`expected an APICallError, got ${String(e)}`)
  return e
}
