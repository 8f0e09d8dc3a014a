/** Test clips from ffmpeg's lavfi sources, shaped like what the provider delivers (H.264 yuv420p + AAC 48k stereo). */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"

export interface ClipOptions {
  /** First frame of the continuous testsrc2 pattern (chained segments overlap by one frame). */
  readonly startFrame?: number
  readonly frames: number
  readonly size?: string
  readonly rate?: number
  readonly gop?: number
  /** libx264 `-bf`; its default (3) when omitted. */
  readonly bframes?: number
  readonly audio?: boolean
  /** Seconds of audio beyond the video. */
  readonly extraAudio?: number
  readonly crf?: number
  /** libx264 `-x264-params`, e.g. `open-gop=1`. */
  readonly x264Params?: string
}

export const ffmpeg = (args: ReadonlyArray<string>): Buffer =>
  execFileSync("ffmpeg", ["-nostdin", "-v", "error", "-y", ...args], { maxBuffer: 512 * 1024 * 1024 })

/** Runs ffmpeg with `-v info` and returns its log (for filters that report there, like volumedetect). */
export const ffmpegStderr = (args: ReadonlyArray<string>): string =>
  spawnSync("ffmpeg", ["-nostdin", "-hide_banner", ...args], { encoding: "utf8" }).stderr

const beep = (at: number, seconds: number) =>
  `aevalsrc=exprs=if(between(t\\,${at}\\,${at + 0.2})\\,0.5*sin(2*PI*1000*t)\\,0):s=48000:d=${seconds}`

/** Times (seconds) where sound starts after at least 0.1 s of silence. */
export const soundOnsets = (path: string): ReadonlyArray<number> =>
  [
    ...ffmpegStderr(["-i", path, "-af", "silencedetect=n=-35dB:d=0.1", "-f", "null", "-"]).matchAll(
      /silence_end: ([\d.]+)/g
    )
  ].map((m) => Number(m[1]))

export const makeClip = (path: string, options: ClipOptions): string => {
  const { startFrame = 0, frames, size = "320x180", rate = 30, gop = 30, audio = true, extraAudio = 0 } = options
  const seconds = frames / rate
  ffmpeg([
    ...[
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=${rate},trim=start_frame=${startFrame}:end_frame=${startFrame + frames},setpts=PTS-STARTPTS`
    ],
    // Silence with a 0.2 s beep one second in (or halfway): its onset shows where the audio sits in time.
    ...(audio ? ["-f", "lavfi", "-i", beep(Math.min(1, seconds / 2), seconds + extraAudio)] : []),
    ...[
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      String(options.crf ?? 20),
      "-pix_fmt",
      "yuv420p",
      "-g",
      String(gop)
    ],
    ...(options.bframes !== undefined ? ["-bf", String(options.bframes)] : []),
    ...(options.x264Params !== undefined ? ["-x264-params", options.x264Params] : []),
    ...(audio ? ["-c:a", "aac", "-ac", "2", "-ar", "48000"] : []),
    ...["-movflags", "+faststart", path]
  ])
  return path
}

/** Segments of one continuous pattern where segment k+1 opens on segment k's last frame, as the provider makes them. */
export const makeChain = (dir: string, count: number, options: ClipOptions): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, k) =>
    makeClip(NodePath.join(dir, `segment_${String(k + 1).padStart(2, "0")}.mp4`), {
      ...options,
      startFrame: (options.startFrame ?? 0) + k * (options.frames - 1)
    })
  )

/** Every decoded frame, in `pixFmt` (`gray`: 1 byte a pixel, `rgb24`: 3), `width × height` each. */
export const decodeFrames = (
  path: string,
  width: number,
  height: number,
  pixFmt: "gray" | "rgb24" = "gray"
): ReadonlyArray<Buffer> => {
  const raw = ffmpeg([
    "-i",
    path,
    "-map",
    "0:v:0",
    "-vsync",
    "passthrough",
    "-f",
    "rawvideo",
    "-pix_fmt",
    pixFmt,
    "-s",
    `${width}x${height}`,
    "pipe:1"
  ])
  const size = width * height * (pixFmt === "gray" ? 1 : 3)
  return Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size))
}

/** Every decoded frame as 8-bit luma, `width × height` bytes each. */
export const decodeGray = (path: string, width: number, height: number): ReadonlyArray<Buffer> =>
  decodeFrames(path, width, height)

/** Mean absolute difference of two luma frames (0 = identical). */
export const meanDifference = (a: Buffer, b: Buffer): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length
}

export const streamDurations = (path: string) => {
  const out = execFileSync("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=codec_type,duration",
    "-of",
    "json",
    path
  ]).toString()
  const streams = JSON.parse(out).streams as Array<{ codec_type: string; duration: string }>
  return {
    video: Number(streams.find((s) => s.codec_type === "video")?.duration),
    audio: Number(streams.find((s) => s.codec_type === "audio")?.duration)
  }
}

export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(NodePath.join(tmpdir(), `ffmpeg-combiner-test-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
