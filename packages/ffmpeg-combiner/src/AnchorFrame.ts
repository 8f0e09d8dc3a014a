/**
 * core's `AnchorPicker` with ffmpeg. Models often end a clip badly — a fade to black, a blur, a freeze —
 * and the next chained clip would copy that. Only the clip's tail is decoded (its final second, plus
 * half a second before it as the reference for "normal"), downscaled to grey, and each frame of the
 * final second is scored: sharpness (mean Laplacian) and exposure (mean luma) against the reference,
 * and a freeze (a frame repeating the one before it). The latest frame that scores within a hair of
 * the best wins, so a clip that ends well keeps its last frame. When frames follow the chosen one, a
 * copy of the clip trimmed right after it (packets copied) is what the join uses, and the anchor image
 * is that copy's own last frame: the next clip starts exactly where the output leaves off.
 */
import { rename, rm } from "node:fs/promises"
import * as NodePath from "node:path"
import { Anchor, Errors, FrameExtractor } from "@longsora/core"
import { Effect, Layer } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"
import { Probe } from "./Probe.ts"

/** Seconds of the clip's end the anchor may come from, and of reference frames before them. */
export const searchSeconds = 1
export const referenceSeconds = 0.5
/** A frame within this share of the best score counts as good as the best (the later one wins). */
export const tolerance = 0.97
const scoreWidth = 160
/** Audio kept past the trimmed picture's end: two AAC packets at 48 kHz. */
const audioOverhang = 0.05

export interface FrameScore {
  /** 0-based index in the clip. */
  readonly frame: number
  readonly sharpness: number
  readonly luma: number
  /** Mean absolute difference to the frame before. */
  readonly motion: number
  readonly focus: number
  readonly exposure: number
  readonly frozen: boolean
  readonly score: number
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!
}

const statsOf = (frame: Uint8Array, previous: Uint8Array | undefined, width: number, height: number) => {
  let luma = 0
  let laplacian = 0
  let motion = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x
      luma += frame[i]!
      if (previous) motion += Math.abs(frame[i]! - previous[i]!)
      if (x > 0 && y > 0 && x < width - 1 && y < height - 1) {
        laplacian += Math.abs(4 * frame[i]! - frame[i - 1]! - frame[i + 1]! - frame[i - width]! - frame[i + width]!)
      }
    }
  }
  const pixels = width * height
  return { luma: luma / pixels, sharpness: laplacian / pixels, motion: previous ? motion / pixels : Number.NaN }
}

/**
 * Scores the final `candidates` of `frames` (grey, `width×height`, the clip's last frames in order; the
 * first is frame `firstIndex`) against the frames before them.
 */
export const scoreFrames = (
  frames: ReadonlyArray<Uint8Array>,
  firstIndex: number,
  candidates: number,
  width: number,
  height: number
): ReadonlyArray<FrameScore> => {
  const stats = frames.map((frame, i) => statsOf(frame, frames[i - 1], width, height))
  const start = Math.max(0, frames.length - candidates)
  const reference = stats.slice(0, Math.max(1, start))
  const sharp = Math.max(median(reference.map((s) => s.sharpness)), 1e-6)
  const luma = median(reference.map((s) => s.luma))
  const moving = median(reference.map((s) => s.motion).filter(Number.isFinite))
  return stats.slice(start).map((s, k) => {
    const focus = Math.min(1, s.sharpness / sharp)
    const exposure = 1 - Math.min(1, Math.abs(s.luma - luma) / Math.max(16, luma * 0.5))
    // A repeat of the frame before, in a clip that otherwise moves: a freeze.
    const frozen = moving > 0.5 && Number.isFinite(s.motion) && s.motion < Math.max(0.05, moving * 0.05)
    return {
      frame: firstIndex + start + k,
      ...s,
      focus,
      exposure,
      frozen,
      score: focus * exposure * (frozen ? 0.5 : 1)
    }
  })
}

/** The latest frame scoring within `tolerance` of the best. */
export const choose = (scores: ReadonlyArray<FrameScore>): FrameScore => {
  const best = Math.max(...scores.map((s) => s.score))
  return [...scores].reverse().find((s) => s.score >= best * tolerance) ?? scores.at(-1)!
}

/** Says what the dropped frames did: fade, blur or freeze. */
export const explain = (chosen: FrameScore, dropped: ReadonlyArray<FrameScore>): string => {
  if (dropped.length === 0) return `the last frame is the best (score ${chosen.score.toFixed(2)})`
  const worst = dropped.reduce((a, b) => (b.score < a.score ? b : a))
  const what =
    worst.exposure < worst.focus && worst.exposure < 0.9
      ? `fade (luma ${chosen.luma.toFixed(0)} → ${worst.luma.toFixed(0)})`
      : worst.frozen && worst.focus > 0.9
        ? "freeze (frames repeat)"
        : `blur (sharpness ${(worst.focus * 100).toFixed(0)} % of the clip's)`
  return `frame ${chosen.frame} scores ${chosen.score.toFixed(2)}; the ${dropped.length} frame(s) after it ${what}`
}

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary
  const prober = yield* Probe
  const extractor = yield* FrameExtractor.FrameExtractor
  const ffmpeg = (args: ReadonlyArray<string>, onStdout?: (chunk: Buffer) => void) =>
    run(binary.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args], onStdout ? { onStdout } : {})

  const pick = Effect.fn("AnchorFrame.pick")(function* (video: string, options: Anchor.PickOptions) {
    const source = NodePath.resolve(video)
    const fail = (reason: string) => (cause: unknown) =>
      new Errors.FrameError({
        path: source,
        reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    const info = yield* prober.probe(source, { countPackets: false }).pipe(Effect.mapError(fail("could not probe")))
    const timing = info.video
    if (!timing || timing.fps <= 0 || timing.frames <= 0) {
      return yield* new Errors.FrameError({ path: source, reason: "no video stream with a frame count" })
    }
    const width = scoreWidth
    const height = Math.max(2, 2 * Math.round((scoreWidth * timing.height) / timing.width / 2))
    // Only the tail is decoded: the cost does not grow with the clip's length.
    const chunks: Array<Buffer> = []
    const window = searchSeconds + referenceSeconds + 1 / timing.fps
    yield* ffmpeg(
      [
        ...["-sseof", `-${window.toFixed(3)}`, "-i", source, "-map", "0:v:0", "-an"],
        ...["-vf", `scale=${width}:${height}:flags=area,format=gray`, "-f", "rawvideo", "pipe:1"]
      ],
      (chunk) => void chunks.push(chunk)
    ).pipe(Effect.mapError(fail("could not decode the end of the clip")))
    const bytes = Buffer.concat(chunks)
    const size = width * height
    const frames = Array.from({ length: Math.floor(bytes.length / size) }, (_, k) =>
      bytes.subarray(k * size, (k + 1) * size)
    )
    if (frames.length === 0)
      return yield* new Errors.FrameError({ path: source, reason: "the clip's end has no frame" })
    const candidates = Math.max(1, Math.round(searchSeconds * timing.fps))
    const scores = scoreFrames(frames, timing.frames - frames.length, candidates, width, height)
    const chosen = choose(scores)
    const dropped = scores.filter((s) => s.frame > chosen.frame)
    const reason = explain(chosen, dropped)
    if (dropped.length === 0) {
      const image = yield* extractor.lastFrame(source, options)
      const choice: Anchor.AnchorChoice = {
        frame: chosen.frame,
        frames: timing.frames,
        seconds: timing.duration,
        reason
      }
      return { image, choice }
    }
    const trimmed = NodePath.resolve(options.trimmedDestination)
    const keep = chosen.frame + 1
    const seconds = keep / timing.fps
    yield* trim(source, trimmed, keep, seconds + timing.startTime).pipe(
      Effect.mapError(fail("could not trim the clip"))
    )
    // The trimmed copy's own last frame: exactly the frame the output leaves off on.
    const image = yield* extractor.lastFrame(trimmed, options)
    const choice: Anchor.AnchorChoice = { frame: chosen.frame, frames: timing.frames, seconds, reason, trimmed }
    return { image, choice }
  })

  /**
   * Copies the first `keep` frames' packets, then muxes them with the audio a little past their end (an AAC
   * packet that ends short of the picture would leave a gap the join or the audio blend fills with silence;
   * the join trims audio to its video). Two passes, since ffmpeg ends a file's every stream once a frame
   * limit ends one. Re-encodes the video if a copy cannot keep exactly `keep` frames.
   */
  const trim = (source: string, destination: string, keep: number, end: number) => {
    const video = `${destination}.video.mp4`
    const part = `${destination}.part.mp4`
    return Effect.gen(function* () {
      const cutVideo = (codec: ReadonlyArray<string>) =>
        ffmpeg(["-i", source, "-map", "0:v:0", "-frames:v", String(keep), ...codec, "-f", "mp4", video])
      yield* cutVideo(["-c:v", "copy"])
      const copied = yield* prober.probe(video, { countPackets: true })
      if (copied.video?.frames !== keep) {
        yield* Effect.logWarning(`a packet copy kept ${copied.video?.frames} frames, not ${keep}: re-encoding the trim`)
        yield* cutVideo(["-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"])
      }
      yield* ffmpeg([
        ...["-i", video, "-t", (end + audioOverhang).toFixed(6), "-i", source],
        ...["-map", "0:v:0", "-map", "1:a:0?", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", part]
      ])
      yield* Effect.promise(() => rename(part, destination))
    }).pipe(Effect.ensuring(Effect.promise(() => Promise.all([rm(video, { force: true }), rm(part, { force: true })]))))
  }

  return Anchor.AnchorPicker.of({ pick })
})

/** Needs `FfmpegBinary`, `Probe` and a `FrameExtractor` (all in `FfmpegServices`). */
export const layerWithoutDependencies: Layer.Layer<
  Anchor.AnchorPicker,
  never,
  FfmpegBinary | Probe | FrameExtractor.FrameExtractor
> = Layer.effect(Anchor.AnchorPicker, make)
