/** Helpers for the SDK tests: temp dirs, ffprobe, a PNG made with ffmpeg. */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** A fresh temp directory and a function that removes it. */
export const tempDir = (prefix: string): { readonly path: string; readonly remove: () => void } => {
  const path = mkdtempSync(join(tmpdir(), `longsora-sdk-${prefix}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export interface Probed {
  readonly formatName: string
  readonly duration: number
  readonly videoCodec: string | undefined
  readonly width: number | undefined
  readonly height: number | undefined
}

/** What ffprobe says about a media file (it fails on anything that is not one). */
export const probe = async (file: string): Promise<Probed> => {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_format", "-show_streams", "-of", "json", file])
  const json = JSON.parse(stdout) as {
    format: { format_name: string; duration: string }
    streams: ReadonlyArray<{ codec_type: string; codec_name: string; width?: number; height?: number }>
  }
  const video = json.streams.find((stream) => stream.codec_type === "video")
  return {
    formatName: json.format.format_name,
    duration: Number(json.format.duration),
    videoCodec: video?.codec_name,
    width: video?.width,
    height: video?.height
  }
}

/** Writes a short moving test clip (`WxH`, 24 fps, no sound) with ffmpeg. */
export const makeClip = async (file: string, size: string, seconds = 2): Promise<string> => {
  await run("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=24:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", file]
  ])
  return file
}

/** Writes a one-frame PNG of a flat colour at `size` (`WxH`) with ffmpeg. */
export const makePng = async (file: string, size: string, color = "orange"): Promise<string> => {
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `color=c=${color}:s=${size}`, "-frames:v", "1", file])
  return file
}
