/**
 * core's `Combiner` with ffmpeg. The method is chosen from the probe: stream copy through the concat demuxer when
 * all segments share codec parameters (`copy`, or `smart-cut` when the seam duplicate is dropped), a full
 * `reencode` when they differ, and `crossfade` on request. Audio is copied packet-exactly when it can be (see
 * `JoinPlan.selectAudioPackets`), otherwise re-encoded with silence for segments that have none. The output is
 * written in a temporary directory beside the destination and renamed into place.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises"
import * as NodePath from "node:path"
import { Combiner, Errors, type Transition } from "@longsora/core"
import { type Config, Effect, Layer } from "effect"
import * as CopyJoin from "./CopyJoin.ts"
import * as CrossfadeWindows from "./CrossfadeWindows.ts"
import * as FfmpegBinary from "./FfmpegBinary.ts"
import { copyAudio, encodeAudio } from "./internal/audioTrack.ts"
import { concatList } from "./internal/concat.ts"
import { aacOutput, concatGraph, crossfadeGraph, segmentPlans, targetOf } from "./internal/filters.ts"
import type { Movie } from "./internal/mp4Tables.ts"
import { run } from "./internal/process.ts"
import * as JoinPlan from "./JoinPlan.ts"
import * as Preparation from "./Preparation.ts"
import * as Probe from "./Probe.ts"
import * as SmartCut from "./SmartCut.ts"
import * as SmartCutJoin from "./SmartCutJoin.ts"

export type Method = "copy" | "copy-cut" | "smart-cut" | "reencode" | "crossfade"

export interface Options {
  /** Re-encode every join even when a copy or smart cut would do (uniform output; slower). */
  readonly alwaysReencode?: boolean | undefined
}

/** Chooses how to join, and says why when a cheaper method was not possible. */
export const chooseMethod = (
  segments: ReadonlyArray<Probe.MediaInfo>,
  transition: Transition.Transition,
  options: Options = {}
): { readonly method: Method; readonly reason?: string } => {
  if (transition._tag === "Crossfade") return { method: "crossfade" }
  if (options.alwaysReencode) return { method: "reencode", reason: "alwaysReencode" }
  const copyBlocker = JoinPlan.videoCopyBlocker(segments)
  if (copyBlocker) return { method: "reencode", reason: copyBlocker }
  if (transition._tag === "KeepDuplicate" || segments.length === 1) return { method: "copy" }
  const smartBlocker = JoinPlan.smartCutBlocker(segments)
  return smartBlocker ? { method: "reencode", reason: smartBlocker } : { method: "smart-cut" }
}

const x264Output = ["-c:v", "libx264", "-preset", "fast", "-crf", "18", "-pix_fmt", "yuv420p"]
const finalOutput = (file: string) => ["-movflags", "+faststart", "-f", "mp4", file]

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const binary = yield* FfmpegBinary.FfmpegBinary
  const prober = yield* Probe.Probe
  const preparation = yield* Preparation.make
  const ffmpeg = (args: ReadonlyArray<string>, options?: Parameters<typeof run>[2]) =>
    run(binary.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args], options)

  /** The output's length follows from the plan (frame-exact), so no second probe is needed. */
  const outputSeconds = (
    segments: ReadonlyArray<Probe.MediaInfo>,
    method: Method,
    transition: Transition.Transition
  ) => {
    const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)
    if (method === "copy") return sum(segments.map((s) => s.video!.duration))
    if (method === "smart-cut") return sum(segments.map((s, i) => s.video!.duration - (i > 0 ? 1 / s.video!.fps : 0)))
    const target = targetOf(segments)
    const frames = sum(segmentPlans(segments, target, transition._tag === "Cut").map((p) => p.frames))
    const overlap = transition._tag === "Crossfade" ? (segments.length - 1) * transition.seconds : 0
    return frames / target.fps - overlap
  }

  const copyEntry = (segment: Probe.MediaInfo) => ({
    file: segment.path,
    inpoint: segment.video!.startTime,
    duration: segment.video!.duration
  })

  const expectedFrames = (segments: ReadonlyArray<Probe.MediaInfo>, dropSeams: boolean) =>
    segments.reduce((sum, s) => sum + s.video!.frames, 0) - (dropSeams ? segments.length - 1 : 0)

  const inputs = (segments: ReadonlyArray<Probe.MediaInfo>) => segments.flatMap((s) => ["-i", s.path])

  /** Stream-copies the video listed in `entries`, muxed with one audio track. */
  const muxCopy = Effect.fnUntraced(function* (
    segments: ReadonlyArray<Probe.MediaInfo>,
    entries: Parameters<typeof concatList>[0],
    drop: boolean,
    workDir: string,
    output: string
  ) {
    const list = NodePath.join(workDir, "video.ffconcat")
    yield* Effect.promise(() => writeFile(list, concatList(entries)))
    const anyAudio = segments.some((s) => s.audio)
    const audio = anyAudio
      ? ((yield* copyAudio(ffmpeg, segments, drop, NodePath.join(workDir, "audio.aac"))) ??
        (yield* encodeAudio(ffmpeg, segments, drop, NodePath.join(workDir, "audio.m4a"))))
      : undefined
    yield* ffmpeg([
      ...["-f", "concat", "-safe", "0", "-i", list],
      ...(audio ? ["-i", audio] : []),
      ...["-map", "0:v:0", ...(audio ? ["-map", "1:a:0"] : []), "-c", "copy"],
      ...finalOutput(output)
    ])
  })

  /**
   * Re-encodes each later segment's head and joins heads and copied tails: in-process when the headers allow it
   * (`true`), else through ffmpeg's concat demuxer. `movies`: the segments' headers, or why they could not be read.
   */
  const smartCut = Effect.fnUntraced(function* (
    segments: ReadonlyArray<Probe.MediaInfo>,
    movies: ReadonlyArray<Movie> | string,
    workDir: string,
    output: string
  ) {
    // Seams are independent: encode them two at a time (ffmpeg start-up dominates short heads).
    const heads = yield* Effect.forEach(segments.slice(1), preparation.head, { concurrency: 2 })
    const plan = typeof movies === "string" ? movies : yield* Effect.promise(() => SmartCutJoin.read(movies, heads))
    if (typeof plan !== "string") {
      yield* Effect.tryPromise(() => CopyJoin.write(plan, output))
      return true
    }
    yield* Effect.logDebug(`smart cut muxed by ffmpeg: ${plan}`)
    yield* muxCopy(segments, SmartCut.videoEntries(segments, heads), true, workDir, output)
    return false
  })

  const reencode = (segments: ReadonlyArray<Probe.MediaInfo>, drop: boolean, output: string) => {
    const target = targetOf(segments)
    const plans = segmentPlans(segments, target, drop)
    return ffmpeg([
      ...inputs(segments),
      ...["-filter_complex", concatGraph(plans, target), "-map", "[v]", "-map", "[a]"],
      ...["-r", target.frameRate, ...x264Output, ...aacOutput(target)],
      ...finalOutput(output)
    ])
  }

  /**
   * The windowed crossfade (`CrossfadeWindows`): copies between re-encoded fade windows, audio crossfaded whole.
   * `false` when the segments do not allow it or its output does not check out (then the caller re-encodes all).
   */
  const crossfadeByWindows = Effect.fnUntraced(function* (
    segments: ReadonlyArray<Probe.MediaInfo>,
    seconds: number,
    workDir: string,
    output: string
  ) {
    const keyframes = yield* CrossfadeWindows.keyframesOf(segments)
    const plan = keyframes ? CrossfadeWindows.planWindows(segments, keyframes, seconds) : "a segment is not an MP4"
    if (!keyframes || typeof plan === "string") {
      yield* Effect.logDebug(`crossfade re-encodes everything: ${plan}`)
      return false
    }
    const target = targetOf(segments)
    const audio = NodePath.join(workDir, "crossfade-audio.m4a")
    const list = NodePath.join(workDir, "crossfade.ffconcat")
    const [entries] = yield* Effect.all(
      [
        CrossfadeWindows.prepareVideo(segments, keyframes, plan, workDir),
        ffmpeg([
          ...inputs(segments),
          ...["-filter_complex", crossfadeGraph(segmentPlans(segments, target, false), target, seconds, false)],
          ...["-map", "[a]", ...aacOutput(target), "-f", "mp4", audio]
        ])
      ],
      { concurrency: 2 }
    )
    yield* Effect.promise(() => writeFile(list, entries))
    yield* ffmpeg([
      ...["-f", "concat", "-safe", "0", "-i", list, "-i", audio],
      ...["-map", "0:v:0", "-map", "1:a:0", "-c", "copy"],
      ...finalOutput(output)
    ])
    const expected = CrossfadeWindows.outputFrames(segments, plan)
    const video = (yield* prober.probe(output, { countPackets: false })).video
    const fps = segments[0]!.video!.fps
    if (video?.frames === expected && Math.abs(video.duration - expected / fps) < 0.5 / fps) return true
    yield* Effect.logWarning(
      `windowed crossfade produced ${video?.frames} frames / ${video?.duration} s, expected ${expected}: re-encoding`
    )
    return false
  })

  const crossfade = Effect.fnUntraced(function* (
    segments: ReadonlyArray<Probe.MediaInfo>,
    seconds: number,
    workDir: string,
    output: string
  ) {
    const target = targetOf(segments)
    const plans = segmentPlans(segments, target, false)
    const shortest = Math.min(...plans.map((p) => p.frames / target.fps))
    if (segments.length > 1 && seconds >= shortest) {
      return yield* Effect.fail(
        `a ${seconds} s crossfade needs segments longer than that (shortest: ${shortest.toFixed(3)} s)`
      )
    }
    if (segments.length > 1 && (yield* crossfadeByWindows(segments, seconds, workDir, output))) return
    yield* ffmpeg([
      ...inputs(segments),
      ...["-filter_complex", crossfadeGraph(plans, target, seconds), "-map", "[v]", "-map", "[a]"],
      ...["-r", target.frameRate, ...x264Output, ...aacOutput(target)],
      ...finalOutput(output)
    ])
  })

  const join = Effect.fn("FfmpegCombiner.join")(function* (input: Combiner.JoinInput) {
    const destination = NodePath.resolve(input.destination)
    const fail = (reason: string) => (cause: unknown) =>
      new Errors.CombineError({
        output: destination,
        reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    if (input.segments.length === 0)
      return yield* new Errors.CombineError({ output: destination, reason: "no segments" })
    const paths = input.segments.map((path) => NodePath.resolve(path))
    const drop = input.transition._tag === "Cut"
    const directory = NodePath.dirname(destination)
    // The work directory sits beside the destination so the final rename stays on one filesystem.
    const workDir = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await mkdir(directory, { recursive: true })
          return mkdtemp(NodePath.join(directory, ".longsora-join-"))
        },
        catch: fail("could not create a working directory")
      }),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const output = NodePath.join(workDir, "output.mp4")
    const moveIntoPlace = Effect.tryPromise({
      try: () => rename(output, destination),
      catch: fail("could not move the output into place")
    })

    // Segment headers, read in-process: enough for a copy join, and the smart cut's in-process mux reuses them.
    const movies =
      input.transition._tag !== "Crossfade" && !options.alwaysReencode
        ? yield* Effect.promise(() => CopyJoin.readSegments(paths))
        : "crossfade or alwaysReencode"
    const copyPlan = typeof movies === "string" ? movies : CopyJoin.planFor(movies, drop)
    if (typeof copyPlan !== "string") {
      yield* Effect.tryPromise({ try: () => CopyJoin.write(copyPlan, output), catch: fail("copy join failed") })
      yield* moveIntoPlace
      const method: Method = drop && paths.length > 1 ? "copy-cut" : "copy"
      return { path: destination, seconds: copyPlan.seconds, method }
    }
    yield* Effect.logDebug(`not a plain copy join: ${copyPlan}`)

    yield* binary.check.pipe(Effect.mapError(fail("ffmpeg is not usable")))
    const segments = yield* Effect.forEach(paths, (path) => preparation.probe(path), {
      concurrency: 2
    }).pipe(Effect.mapError(fail("could not probe a segment")))
    const noVideo = segments.findIndex((s) => !s.video)
    if (noVideo >= 0)
      return yield* new Errors.CombineError({ output: destination, reason: `segment ${noVideo + 1} has no video` })
    const { method, reason } = chooseMethod(segments, input.transition, options)
    if (reason) yield* Effect.logDebug(`joining by ${method}: ${reason}`)

    const work: Effect.Effect<Method, unknown, FfmpegBinary.FfmpegBinary | Probe.Probe> =
      method === "copy" || method === "smart-cut"
        ? Effect.gen(function* () {
            if (method === "copy") yield* muxCopy(segments, segments.map(copyEntry), false, workDir, output)
            // Written in-process, the smart cut was checked sample by sample while planned: nothing to probe.
            else if (yield* smartCut(segments, movies, workDir, output)) return method
            // A stream copy that went wrong (an encoder layout the smart cut did not reproduce) shows up as a wrong
            // frame count or length in the output's header: then re-encode instead of shipping it.
            const expected = expectedFrames(segments, method === "smart-cut")
            const video = (yield* prober.probe(output, { countPackets: false })).video
            const seconds = outputSeconds(segments, method, input.transition)
            const fps = segments[0]!.video!.fps
            if (video?.frames === expected && Math.abs(video.duration - seconds) < 0.5 / fps) return method
            yield* Effect.logWarning(
              `${method} join produced ${video?.frames} frames / ${video?.duration} s, expected ${expected} / ${seconds} s: re-encoding`
            )
            yield* reencode(segments, drop, output)
            return "reencode" as const
          })
        : method === "reencode"
          ? Effect.as(reencode(segments, drop, output), method)
          : Effect.as(
              crossfade(
                segments,
                input.transition._tag === "Crossfade" ? input.transition.seconds : 0,
                workDir,
                output
              ),
              method
            )
    const done = yield* work.pipe(
      Effect.provideService(FfmpegBinary.FfmpegBinary, binary),
      Effect.provideService(Probe.Probe, prober),
      Effect.mapError(fail(`${method} join failed`))
    )
    yield* moveIntoPlace
    return { path: destination, seconds: outputSeconds(segments, done, input.transition), method: done }
  }, Effect.scoped)

  /**
   * Probes a later segment (and, for a cut, encodes its smart-cut head) now, so the join finds them done. A segment
   * whose cut is a plain copy needs nothing: the join reads its header in a millisecond.
   */
  const prepare = (segment: string, transition: Transition.Transition) =>
    Effect.promise(() =>
      transition._tag === "Cut" && !options.alwaysReencode
        ? CopyJoin.cuttableByCopy(NodePath.resolve(segment))
        : Promise.resolve(false)
    ).pipe(
      Effect.flatMap((copyable) => (copyable ? Effect.void : prepareForFfmpeg(segment, transition))),
      Effect.ignore
    )

  const prepareForFfmpeg = (segment: string, transition: Transition.Transition) =>
    preparation.probe(NodePath.resolve(segment)).pipe(
      Effect.flatMap((info) =>
        info.video && transition._tag === "Cut" && !options.alwaysReencode
          ? Effect.asVoid(preparation.head(info))
          : Effect.void
      ),
      Effect.provideService(FfmpegBinary.FfmpegBinary, binary),
      Effect.provideService(Probe.Probe, prober),
      Effect.ignore
    )

  return Combiner.Combiner.of({ preflight: Effect.asVoid(binary.check), prepare, join })
})

/** Needs `FfmpegBinary` and `Probe`; prefer `layer` / `layerConfig` unless you share those with other layers. */
export const layerWithoutDependencies = (
  options: Options = {}
): Layer.Layer<Combiner.Combiner, never, FfmpegBinary.FfmpegBinary | Probe.Probe> =>
  Layer.effect(Combiner.Combiner, make(options))

export const layer = (options: FfmpegBinary.Options & Options = {}): Layer.Layer<Combiner.Combiner> =>
  layerWithoutDependencies(options).pipe(Layer.provide(Probe.layer), Layer.provide(FfmpegBinary.layer(options)))

/** Reads `FFMPEG_PATH` / `FFPROBE_PATH`. */
export const layerConfig = (options: Options = {}): Layer.Layer<Combiner.Combiner, Config.ConfigError> =>
  layerWithoutDependencies(options).pipe(Layer.provide(Probe.layer), Layer.provide(FfmpegBinary.layerConfig))
