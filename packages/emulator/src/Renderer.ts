/**
 * Renders a job's media with ffmpeg in one child process: an H.264/AAC MP4 (30 fps CFR, faststart),
 * a WebP thumbnail and a JPEG spritesheet. With a reference image the first frame IS the image:
 * every motion (scroll, moving bar, caption) starts at zero at t=0. With a last-frame image the
 * picture fades into it over the final second and the last frame IS that image. Outputs are written
 * to temp names unique to each render and renamed, so a half-written file is never served, and an
 * ffmpeg orphaned by a killed emulator never writes into the files of the render that replaces it.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Data } from "effect"
import { seedOf } from "./Ids.ts"

export class RenderError extends Data.TaggedError("RenderError")<{ readonly message: string }> {}

export interface RenderJob {
  readonly id: string
  readonly prompt: string
  readonly seconds: number
  readonly width: number
  readonly height: number
  readonly referencePath: string | undefined
  readonly dir: string
  /** When set, the clip's LAST frame is this image (the picture fades into it over the final second). */
  readonly lastFramePath?: string | undefined
  /**
   * `exact` (default): the first frame is the reference. `conditioning`: the reference only guides
   * the clip, as models that regenerate the opening frame do; the still is then shifted and graded,
   * so a client can tell the first frame is not the image.
   */
  readonly firstFrame?: "exact" | "conditioning" | undefined
  /**
   * An extension: `seconds` of new video continue this source clip (`sourceSeconds` long) from its
   * last frame, with the sweep going on where it stopped, and the output is both stitched.
   */
  readonly extension?: { readonly video: string; readonly sourceSeconds: number } | undefined
  /** A flawed ending on request (fault `end-fade` / `end-blur` / `end-freeze`), as real models produce. */
  readonly ending?: ClipEnding | undefined
  /** Constant video bitrate (bits/s), as a provider's clips have; default constant quality (QP 20). */
  readonly videoBitrate?: number | undefined
}

/** How a clip's final half second goes wrong: fades to black, blurs, or freezes on one frame. */
export type ClipEnding = "fade" | "blur" | "freeze"

/** Frames at the end of a clip that a flawed ending spoils. */
export const ENDING_FRAMES = 15

export interface RenderOutput {
  readonly video: string
  readonly thumbnail: string
  readonly spritesheet: string
}

/** Where a job's media goes once rendered. */
export const renderOutputs = (dir: string): RenderOutput => ({
  video: join(dir, "video.mp4"),
  thumbnail: join(dir, "thumbnail.webp"),
  spritesheet: join(dir, "spritesheet.jpg")
})

export const FPS = 30
const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"
]
// No font means no caption rather than a failed render.
const font = FONT_CANDIDATES.find((f) => existsSync(f))

/**
 * Builds the ffmpeg argument list writing to `out` (the render's temp names); exported for inspection in tests.
 *
 * CPU matters more than anything else here (renders share 2 cores with the tests and with each
 * other), so the still picture — the reference, or one frame of a seeded `gradients` source — is
 * decoded, scaled and converted to BT.709 limited-range yuv420p ONCE and then repeated by `loop`;
 * every per-frame filter works in place on yuv420p (no per-frame colour conversion or JPEG decode),
 * and ffmpeg, its filters and x264 run single-threaded (concurrent renders give the parallelism).
 */
export const ffmpegArgs = (job: RenderJob, captionFile: string | undefined, out: RenderOutput): Array<string> => {
  const { width: W, height: H, seconds } = job
  const frames = FPS * seconds
  // An extension's sweep continues from the source's last frame.
  const offset = job.extension ? FPS * job.extension.sourceSeconds : 0
  const seed = seedOf(job.id)
  const freq = 220 + (seed % 660)
  const palette = ["0x1b3a6b", "0x6b1b4a", "0x1b6b3a", "0x6b5a1b", "0x3a1b6b", "0x1b5a6b"]
  const c = (k: number) => palette[(seed + k) % palette.length]
  // One still frame: the motion comes from the filters below, not from the source.
  const source = job.referencePath
    ? ["-threads", "1", "-framerate", String(FPS), "-i", job.referencePath]
    : [
        "-f",
        "lavfi",
        "-i",
        `gradients=s=${W}x${H}:r=${FPS}:d=1:seed=${seed % 2147483647}:n=3:c0=${c(0)}:c1=${c(1)}:c2=${c(2)},trim=end_frame=1`
      ]
  const ending = job.lastFramePath ? ["-threads", "1", "-framerate", String(FPS), "-i", job.lastFramePath] : []
  const audioInput = job.lastFramePath ? 2 : 1
  const bar = Math.max(8, Math.round(W / 40))
  const caption =
    font && captionFile
      ? `,drawtext=fontfile=${font}:textfile=${captionFile}:fontcolor=white:fontsize=${Math.round(H / 24)}:box=1:boxcolor=black@0.5:x=20:y=${H}-th-30-n:enable='gte(n,1)'`
      : ""
  const step = Math.max(1, Math.floor(frames / 10))
  // Conditioning models regenerate the opening frame: a zoomed, shifted, graded still shows it.
  const conditioning = job.referencePath && job.firstFrame === "conditioning"
  const still = `${conditioning ? "crop=iw*0.94:ih*0.94:iw*0.04:ih*0.02," : ""}${toStill(W, H)}${conditioning ? ",eq=gamma=1.12:saturation=0.8" : ""}`
  const moving = job.lastFramePath ? "[moving]" : "[final]"
  const graph = [
    `[0:v]${still},loop=loop=${frames - 1}:size=1,setpts=N/(${FPS}*TB),` +
      // Scrolling starts at offset 0, so the first frame is the still exactly.
      "scroll=h=0.003:v=0.001[base]",
    `color=c=white@0.35:s=${bar}x${H}:r=${FPS}:d=${seconds},format=yuva420p[bar]`,
    // A translucent bar sweeping across from frame 1 on: every frame differs from the previous one.
    // `repeatlast=0` ends the overlay with its main input (the default costs ~0.5 s more CPU).
    `[base][bar]overlay=x='mod((n+${offset})*${Math.round(W / 90)},${W})':y=0:repeatlast=0:enable='gte(n,1)'${caption}${moving}`,
    ...(job.lastFramePath ? endingGraph(W, H, frames) : []),
    ...(job.ending ? [`[final]${flawedEnding(job.ending, frames)}[flawed]`] : []),
    `[${job.ending ? "flawed" : "final"}]split=3[v][t][s0]`,
    // The spritesheet is re-emitted (and rewritten, `-update 1`) at each of its 10 frames, the last
    // write being the whole sheet, and its timestamps run one cell ahead: ffmpeg pulls the graph
    // for its most-behind output, and a sheet waiting for frame 108 would make `loop` (which needs
    // no input) run ~100 frames ahead of the encoder, allocating a buffer for each. It ends with the
    // graph, whose sources are all finite. (A frame count on it would cut the MP4's audio short.)
    `[s0]select='not(mod(n\\,${step}))',setpts=PTS+${step / FPS}/TB,scale=${Math.round(W / 8)}:-2,tile=5x2:overlap=9:init_padding=9[s]`
  ].join(";")
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-filter_complex_threads",
    "1",
    ...source,
    ...ending,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=${freq}:sample_rate=48000:duration=${seconds + 0.5}`,
    "-filter_complex",
    graph,
    // Single-frame outputs first: listed after the MP4, ffmpeg 5.1 stops feeding the MP4's audio
    // once they finish.
    "-map",
    "[t]",
    "-frames:v",
    "1",
    "-c:v",
    "libwebp",
    "-compression_level",
    "0",
    "-f",
    "webp",
    out.thumbnail,
    "-map",
    "[s]",
    "-c:v",
    "mjpeg",
    "-pix_fmt",
    "yuvj420p",
    "-update",
    "1",
    "-f",
    "image2",
    out.spritesheet,
    "-map",
    "[v]",
    "-map",
    `${audioInput}:a`,
    "-frames:v",
    String(frames),
    "-t",
    String(seconds),
    "-r",
    String(FPS),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    ...rateControl(job.videoBitrate),
    "-threads",
    "1",
    // A keyframe every 2 s, as web-delivery encodes have: bounds the cost of seeking near the end.
    "-g",
    String(2 * FPS),
    "-pix_fmt",
    "yuv420p",
    "-color_range",
    "tv",
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    // A JPEG reference's decoder reports centred chroma, which x264 would write into the SPS; the
    // H.264 default (left, not signalled) keeps the SPS the same with or without a reference.
    "-chroma_sample_location",
    "left",
    "-c:a",
    "aac",
    "-aac_coder",
    "fast",
    "-b:a",
    "96k",
    "-ar",
    "48000",
    "-ac",
    "2",
    "-movflags",
    "+faststart",
    "-f",
    "mp4",
    out.video
  ]
}

/**
 * Constant QP by default: unlike CRF it needs no look-ahead analysis of every frame (~0.1 s of CPU); 20 is about what
 * CRF 23 chose for these pictures. With a bitrate: CBR padded with filler, so a clip is as large as a provider's
 * (these simple pictures would otherwise come out far smaller).
 */
const rateControl = (bitrate: number | undefined): Array<string> => {
  if (bitrate === undefined) return ["-qp", "20"]
  const rate = String(Math.round(bitrate))
  return ["-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate, "-x264-params", "nal-hrd=cbr"]
}

/**
 * Decodes a still once, scaled to the clip and converted to BT.709 limited-range yuv420p: one
 * colour description for every clip, whatever the source (a JPEG is full-range BT.601, a lavfi
 * source RGB), so clips join by copy.
 */
const toStill = (W: number, H: number): string =>
  `trim=end_frame=1,scale=${W}:${H}:out_color_matrix=bt709:out_range=tv,format=yuv420p,setsar=1`

/**
 * The last-frame image fades in (alpha) over the final second, drawn over bar and caption: on the
 * last frame its alpha is full, so that frame IS the image (overlay at alpha 255 copies exactly).
 */
const endingGraph = (W: number, H: number, frames: number): Array<string> => {
  const fadeFrames = Math.max(1, Math.min(FPS, frames - 1))
  const start = frames - fadeFrames
  return [
    `[1:v]${toStill(W, H)},format=yuva420p,loop=loop=${fadeFrames - 1}:size=1,setpts=(N+${start})/(${FPS}*TB),` +
      `fade=t=in:s=0:n=${fadeFrames - 1}:alpha=1[ending]`,
    "[moving][ending]overlay=x=0:y=0:format=yuv420:eof_action=pass[final]"
  ]
}

/** The filter that spoils the last `ENDING_FRAMES` frames as `ending` says (a clip of `frames` frames). */
export const flawedEnding = (ending: ClipEnding, frames: number): string => {
  const n = Math.max(1, Math.min(ENDING_FRAMES, frames - 2))
  const start = frames - n
  if (ending === "fade") return `fade=t=out:start_frame=${start}:nb_frames=${n}`
  if (ending === "blur") return `gblur=sigma=12:enable='gte(n,${start})'`
  // A freeze: the frame before the last `n` is repeated in their place.
  return `trim=end_frame=${start},tpad=stop=${n}:stop_mode=clone`
}

/** Runs renders with at most `maxConcurrent` ffmpeg processes (2 cores are shared with tests). */
export class Renderer {
  private running = 0
  private readonly waiting: Array<() => void> = []
  private readonly maxConcurrent: number

  constructor(maxConcurrent: number) {
    this.maxConcurrent = Math.max(1, maxConcurrent)
  }

  private async acquire(signal: AbortSignal): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", abort)
        this.running++
        resolve()
      }
      const abort = () => {
        const i = this.waiting.indexOf(go)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(new RenderError({ message: "render aborted" }))
      }
      this.waiting.push(go)
      signal.addEventListener("abort", abort, { once: true })
    })
  }

  private release(): void {
    this.running--
    this.waiting.shift()?.()
  }

  async render(job: RenderJob, signal: AbortSignal): Promise<RenderOutput> {
    await this.acquire(signal)
    try {
      const out = renderOutputs(job.dir)
      const token = randomBytes(4).toString("hex")
      const part = (path: string) => `${path}.${token}.part`
      const parts: RenderOutput = {
        video: part(out.video),
        thumbnail: part(out.thumbnail),
        spritesheet: part(out.spritesheet)
      }
      const captionFile = part(join(job.dir, "caption.txt"))
      const extension = job.extension
      // An extension renders its new part from the source's last frame, then stitches the two.
      const lastFrame = part(join(job.dir, "source-last.png"))
      const newPart = part(join(job.dir, "new-part.mp4"))
      const list = part(join(job.dir, "concat.txt"))
      try {
        await writeFile(captionFile, wrap(job.prompt, Math.max(20, Math.floor(job.width / 22))))
        if (extension) {
          await run(
            [
              "-hide_banner",
              "-loglevel",
              "error",
              "-y",
              "-sseof",
              "-1",
              "-i",
              extension.video,
              "-update",
              "1",
              "-f",
              "image2",
              "-c:v",
              "png",
              lastFrame
            ],
            signal
          )
          await run(ffmpegArgs({ ...job, referencePath: lastFrame }, captionFile, { ...parts, video: newPart }), signal)
          await writeFile(list, [extension.video, newPart].map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join("\n"))
          await run(
            [
              "-hide_banner",
              "-loglevel",
              "error",
              "-y",
              "-f",
              "concat",
              "-safe",
              "0",
              "-i",
              list,
              "-c",
              "copy",
              "-movflags",
              "+faststart",
              "-f",
              "mp4",
              parts.video
            ],
            signal
          )
        } else {
          await run(ffmpegArgs(job, captionFile, parts), signal)
        }
        await rename(parts.thumbnail, out.thumbnail)
        await rename(parts.spritesheet, out.spritesheet)
        // The video last: its presence means the render is complete (VideoStore's restart relies on it).
        await rename(parts.video, out.video)
        return out
      } finally {
        await Promise.all(
          [captionFile, lastFrame, newPart, list, ...Object.values(parts)].map((p) => rm(p, { force: true }))
        )
      }
    } finally {
      this.release()
    }
  }
}

/** The caption: first ~3 lines of the prompt, wrapped. */
const wrap = (text: string, width: number): string => {
  const words = text.replace(/\s+/g, " ").trim().split(" ")
  const lines: Array<string> = []
  let line = ""
  for (const word of words) {
    if ((line + word).length > width && line) {
      lines.push(line.trim())
      line = ""
    }
    line += `${word} `
  }
  if (line.trim()) lines.push(line.trim())
  return lines.slice(0, 3).join("\n")
}

const run = (args: Array<string>, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"], signal })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    child.on("error", (e) => reject(new RenderError({ message: `ffmpeg failed to start: ${e.message}` })))
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new RenderError({ message: `ffmpeg exited with ${code}: ${stderr}` }))
    )
  })
