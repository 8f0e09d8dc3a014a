/**
 * core's `Combiner` with ffmpeg. How segments are joined is decided in one place (`internal/join/ChooseJoin.ts`):
 * an in-process copy when the MP4 headers allow it, else by the probe a stream copy (`copy`, or `smart-cut` when
 * the seam duplicate is dropped), a full `reencode` when segments differ, and `crossfade` on request, each in its
 * own module. Audio is copied packet-exactly when it can be (see `JoinPlan.selectAudioPackets`), otherwise
 * re-encoded with silence for segments that have none. The output is written in a temporary directory beside the
 * destination and renamed into place.
 */
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises"
import * as NodePath from "node:path"
import { Combiner, Errors, type Transition } from "@longsora/core"
import { type Config, Effect, Layer } from "effect"
import * as Conform from "./Conform.ts"
import * as FfmpegBinary from "./FfmpegBinary.ts"
import * as ChooseJoin from "./internal/join/ChooseJoin.ts"
import { type Method, outputSeconds } from "./internal/join/JoinContext.ts"
import { cuttableByCopy, readMovie, readSegments, writeJoin } from "./internal/mp4/index.ts"
import { run } from "./internal/process.ts"
import * as Preparation from "./Preparation.ts"
import * as Probe from "./Probe.ts"

export type { Method } from "./internal/join/JoinContext.ts"
export type Options = ChooseJoin.Options

/** Chooses how to join probed segments, and says why when a cheaper method was not possible. */
export const chooseMethod = ChooseJoin.chooseMethod

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const binary = yield* FfmpegBinary.FfmpegBinary
  const prober = yield* Probe.Probe
  const preparation = yield* Preparation.make
  const ffmpeg = (args: ReadonlyArray<string>, runOptions?: Parameters<typeof run>[2]) =>
    run(binary.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args], runOptions)
  const services = <A, E>(effect: Effect.Effect<A, E, FfmpegBinary.FfmpegBinary | Probe.Probe>) =>
    effect.pipe(Effect.provideService(FfmpegBinary.FfmpegBinary, binary), Effect.provideService(Probe.Probe, prober))

  /** A scratch directory beside the destination (so the final rename stays on one filesystem), removed after. */
  const workDirFor = (destination: string, fail: (reason: string) => (cause: unknown) => Errors.CombineError) =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const directory = NodePath.dirname(destination)
          await mkdir(directory, { recursive: true })
          return mkdtemp(NodePath.join(directory, ".longsora-join-"))
        },
        catch: fail("could not create a working directory")
      }),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )

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
    const { transition } = input
    const workDir = yield* workDirFor(destination, fail)
    const output = NodePath.join(workDir, "output.mp4")
    const moveIntoPlace = Effect.tryPromise({
      try: () => rename(output, destination),
      catch: fail("could not move the output into place")
    })

    // Segment headers, read in-process: enough for a copy join, and the smart cut's in-process mux reuses them.
    const movies = ChooseJoin.triesInProcessCopy(transition, options)
      ? yield* Effect.promise(() => readSegments(paths))
      : "crossfade or alwaysReencode"
    const copy = ChooseJoin.inProcessCopy(movies, transition)
    if (typeof copy !== "string") {
      yield* Effect.tryPromise({ try: () => writeJoin(copy.join, output), catch: fail("copy join failed") })
      yield* moveIntoPlace
      return { path: destination, seconds: copy.join.seconds, method: copy.method }
    }
    yield* Effect.logDebug(`not a plain copy join: ${copy}`)

    yield* binary.check.pipe(Effect.mapError(fail("ffmpeg is not usable")))
    const segments = yield* Effect.forEach(paths, (path) => preparation.probe(path), {
      concurrency: 2
    }).pipe(Effect.mapError(fail("could not probe a segment")))
    const noVideo = segments.findIndex((s) => !s.video)
    if (noVideo >= 0)
      return yield* new Errors.CombineError({ output: destination, reason: `segment ${noVideo + 1} has no video` })
    const { method, reason } = ChooseJoin.chooseMethod(segments, transition, options)
    if (reason) yield* Effect.logDebug(`joining by ${method}: ${reason}`)
    const strategy = ChooseJoin.strategyFor(method === "copy-cut" ? "copy" : method)
    const context = { ffmpeg, prober, preparation, segments, transition, movies, workDir, output }
    const done: Method = yield* services(strategy(context)).pipe(Effect.mapError(fail(`${method} join failed`)))
    yield* moveIntoPlace
    return { path: destination, seconds: outputSeconds(segments, done, transition), method: done }
  }, Effect.scoped)

  /**
   * Whether the join will copy `segment` in-process, reading its header in a millisecond, so there is nothing to
   * prepare: a cut whose first frame can be dropped by copying, or a `keep` of a segment whose header reads.
   */
  const copiesInProcess = async (segment: string, transition: Transition.Transition): Promise<boolean> => {
    if (!ChooseJoin.triesInProcessCopy(transition, options)) return false
    if (transition._tag === "Cut") return cuttableByCopy(segment)
    return (await readMovie(segment)) !== undefined
  }

  /**
   * Probes a later segment (and, for a cut, encodes its smart-cut head) now, so the join finds them done; nothing
   * for a segment the join copies in-process.
   */
  const prepare = (segment: string, transition: Transition.Transition) =>
    Effect.promise(() => copiesInProcess(NodePath.resolve(segment), transition)).pipe(
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
      services,
      Effect.ignore
    )

  const conform = Effect.fn("FfmpegCombiner.conform")(function* (clip: string, like: string, destination: string) {
    const fail = (reason: string) => (cause: unknown) =>
      new Errors.CombineError({
        output: destination,
        reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    const [clipInfo, likeInfo] = yield* Effect.all(
      [preparation.probe(NodePath.resolve(clip)), preparation.probe(NodePath.resolve(like))],
      { concurrency: 2 }
    ).pipe(Effect.mapError(fail("could not probe the clip to include")))
    if (!clipInfo.video || !likeInfo.video) {
      return yield* new Errors.CombineError({ output: destination, reason: `${clip} or ${like} has no video` })
    }
    return yield* services(Conform.conform(clipInfo, likeInfo, NodePath.resolve(destination))).pipe(
      Effect.mapError(fail("could not bring the clip to include into the segments' format"))
    )
  })

  return Combiner.Combiner.of({ preflight: Effect.asVoid(binary.check), prepare, conform, join })
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
