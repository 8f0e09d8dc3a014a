/**
 * How visible the seams of a joined video are: SSIM and PSNR between the two frames on either side of each seam,
 * next to the median of consecutive frames inside the segments. A seam with a ratio near 1 moves like any other
 * frame step; a duplicated frame shows as SSIM 1 (PSNR ∞), a jump as a ratio well below 1.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { Data, Effect } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"
import { Probe } from "./Probe.ts"

export class SeamQualityError extends Data.TaggedError("SeamQualityError")<{
  readonly path: string
  readonly reason: string
  readonly cause?: unknown
}> {}

export interface Seam {
  /** 1-based: the seam after segment `segment`. */
  readonly segment: number
  /** Index of the first frame after the seam, and its time in seconds. */
  readonly frame: number
  readonly seconds: number
  readonly ssim: number
  /** dB; `Infinity` for identical frames. */
  readonly psnr: number
  /** `ssim / medianSsim`. */
  readonly ssimRatio: number
}

export interface Report {
  readonly seams: ReadonlyArray<Seam>
  /** Median over consecutive-frame pairs that are not seams. */
  readonly medianSsim: number
  readonly medianPsnr: number
  /** Consecutive-frame pairs compared. */
  readonly pairs: number
}

const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One value per line of an ssim/psnr stats file, in frame order. */
export const parseStats = (text: string, key: string): ReadonlyArray<number> =>
  text
    .split("\n")
    .map((line) => new RegExp(`${key}:(\\S+)`).exec(line)?.[1])
    .filter((value): value is string => value !== undefined)
    .map((value) => (value === "inf" ? Number.POSITIVE_INFINITY : Number(value)))

/**
 * Measures the seams of `output`, whose segments last `segmentDurations` seconds each in the output (for a `Cut`
 * join: the first as generated, the later ones one frame shorter). Decodes the video once.
 */
export const measure = Effect.fn("SeamQuality.measure")(function* (
  output: string,
  segmentDurations: ReadonlyArray<number>
) {
  const binary = yield* FfmpegBinary
  const prober = yield* Probe
  const fail = (reason: string) => (cause: unknown) =>
    new SeamQualityError({ path: output, reason: `${reason}: ${String((cause as Error)?.message ?? cause)}`, cause })
  const info = yield* prober.probe(output, { countPackets: false }).pipe(Effect.mapError(fail("could not probe")))
  const fps = info.video?.fps ?? 0
  if (fps <= 0) return yield* new SeamQualityError({ path: output, reason: "no video stream with a frame rate" })
  const dir = yield* Effect.acquireRelease(
    Effect.promise(() => mkdtemp(NodePath.join(tmpdir(), "ffmpeg-combiner-seams-"))),
    (d) => Effect.promise(() => rm(d, { recursive: true, force: true }))
  )
  const ssimFile = NodePath.join(dir, "ssim.log")
  const psnrFile = NodePath.join(dir, "psnr.log")
  // Each frame against the next one: pair n compares frames n and n+1.
  const graph =
    "[0:v:0]format=yuv420p,split=4[a1][b1][a2][b2];" +
    "[b1]trim=start_frame=1,setpts=PTS-STARTPTS[n1];[b2]trim=start_frame=1,setpts=PTS-STARTPTS[n2];" +
    `[a1][n1]ssim=stats_file='${ssimFile}':shortest=1[s];[a2][n2]psnr=stats_file='${psnrFile}':shortest=1[p];` +
    "[s][p]hstack"
  yield* run(binary.ffmpeg, [
    "-nostdin",
    "-v",
    "error",
    "-i",
    output,
    "-filter_complex",
    graph,
    "-f",
    "null",
    "-"
  ]).pipe(Effect.mapError(fail("could not compare frames")))
  const [ssimText, psnrText] = yield* Effect.promise(() =>
    Promise.all([readFile(ssimFile, "utf8"), readFile(psnrFile, "utf8")])
  )
  const ssim = parseStats(ssimText, "All")
  const psnr = parseStats(psnrText, "psnr_avg")
  const seamFrames: Array<number> = []
  let elapsed = 0
  for (const duration of segmentDurations.slice(0, -1)) {
    elapsed += duration
    seamFrames.push(Math.round(elapsed * fps))
  }
  const seamPairs = new Set(seamFrames.map((frame) => frame - 1))
  const inside = (values: ReadonlyArray<number>) => values.filter((_, pair) => !seamPairs.has(pair))
  const medianSsim = median(inside(ssim))
  const medianPsnr = median(inside(psnr).filter(Number.isFinite))
  const seams = seamFrames
    .filter((frame) => frame >= 1 && frame - 1 < ssim.length)
    .map(
      (frame, i): Seam => ({
        segment: i + 1,
        frame,
        seconds: frame / fps,
        ssim: ssim[frame - 1]!,
        psnr: psnr[frame - 1]!,
        ssimRatio: ssim[frame - 1]! / medianSsim
      })
    )
  return { seams, medianSsim, medianPsnr, pairs: ssim.length } satisfies Report
}, Effect.scoped)
