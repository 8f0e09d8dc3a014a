/**
 * core's `FrameExtractor` with ffmpeg and sharp. For an MP4, `lastFrame` builds from the header a small MP4 of the
 * last keyframe interval whose edit list shows only the last frame, and pipes it into an ffmpeg started ahead of
 * time: no ffprobe, no seeking, no start-up wait, and exactly the frames the last one depends on are decoded.
 * Otherwise (another container, a header it does not follow) it probes, seeks a little before the end
 * (`-sseof`), decodes to the end and keeps the last decoded frame; when that window holds no frame (video ends well
 * before the audio, or a very long GOP tail) it widens the window and tries again. Either way the cost does not grow
 * with the clip's length.
 */
import * as NodePath from "node:path"
import { Capabilities, Errors, FrameExtractor } from "@longsora/core"
import { type Config, Effect, Layer } from "effect"
import * as FfmpegBinary from "./FfmpegBinary.ts"
import { checkDecodes, inspect, loadSharp, type Size, writeFitted } from "./internal/image.ts"
import { LastFrameSink } from "./internal/LastFrame.ts"
import { lastFrameClip, readMovie, type VideoTiming, videoTiming } from "./internal/mp4/index.ts"
import { run } from "./internal/process.ts"
import { WarmProcess } from "./internal/warmProcess.ts"
import * as Probe from "./Probe.ts"

/**
 * After the preflight, when sharp is loaded and the first decoder started in the background (ms): after the first
 * create has left, so that neither competes with it for the CPU (an ffmpeg start is tens of ms on two cores).
 */
const BACKGROUND_START_MS = 300

/**
 * After a last frame, when the next decoder is started (ms): once the frame is encoded and the next create has
 * left (a seam's gap is about 0.1 s), and well before the next clip can complete (0.3 s renders or more).
 */
const REWARM_AFTER_MS = 200

/** First seek window before the end, in seconds; grows ×4 while it yields no frame. */
export const initialWindowSeconds = 1

const frameError = (path: string, reason: string) => (cause: unknown) =>
  new Errors.FrameError({ path, reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })

const targetSize = (path: string, size: string) => {
  const parsed = Capabilities.parseSize(size)
  return parsed
    ? Effect.succeed(parsed)
    : Effect.fail(new Errors.FrameError({ path, reason: `size must be WIDTHxHEIGHT, got "${size}"` }))
}

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary.FfmpegBinary
  const prober = yield* Probe.Probe
  // One ffmpeg kept waiting for a clip on its stdin; its arguments depend only on the ffmpeg version.
  let decoder: WarmProcess | undefined
  const decoderFor = Effect.map(
    binary.check,
    (version) =>
      (decoder ??= new WarmProcess(binary.ffmpeg, [
        ...["-nostdin", "-v", "error", "-f", "mp4", "-i", "pipe:0"],
        ...["-map", "0:v:0", "-an", "-sn", "-dn", ...FfmpegBinary.passthroughArgs(version)],
        ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
      ]))
  )
  yield* Effect.addFinalizer(() => Effect.sync(() => decoder?.close()))

  /** Decodes the header-built last-frame clip in the warm ffmpeg; `undefined` unless exactly one frame came out. */
  const decodeLastFrameClip = (video: string, clip: NonNullable<ReturnType<typeof lastFrameClip>>, size: Size) =>
    Effect.gen(function* () {
      const warm = yield* decoderFor.pipe(Effect.mapError(frameError(video, "ffmpeg is not usable")))
      const sink = new LastFrameSink(size.width * size.height * 3)
      const fed = yield* Effect.result(warm.feed(clip, sink.write))
      // The next clip finds its decoder started, without the start competing with this seam's encode and upload.
      warm.warmAfter(REWARM_AFTER_MS)
      return fed._tag === "Success" && sink.frames === 1 && sink.complete ? sink : undefined
    })

  /**
   * Decodes from `window` seconds before the end (or the whole clip) and returns the last frame as RGB.
   * With `from` (seconds, the clip's own timestamps), only frames from then on are converted and piped:
   * the decode is the same, but a tail's worth of raw RGB no longer crosses the pipe.
   */
  const decodeTail = Effect.fnUntraced(function* (
    video: string,
    size: Size,
    window: number | undefined,
    from?: number
  ) {
    const version = yield* binary.check.pipe(Effect.mapError(frameError(video, "ffmpeg is not usable")))
    const sink = new LastFrameSink(size.width * size.height * 3)
    const seek = window === undefined ? [] : ["-sseof", `-${window.toFixed(3)}`]
    const select = from === undefined ? [] : ["-vf", `select='gte(t,${from.toFixed(6)})'`]
    yield* run(
      binary.ffmpeg,
      [
        ...["-nostdin", "-v", "error", ...seek, ...(from === undefined ? [] : ["-copyts"]), "-i", video],
        ...["-map", "0:v:0", "-an", "-sn", "-dn", ...select, ...FfmpegBinary.passthroughArgs(version)],
        ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
      ],
      { onStdout: sink.write }
    ).pipe(Effect.mapError(frameError(video, "could not decode the end of the clip")))
    if (!sink.complete) {
      return yield* new Errors.FrameError({ path: video, reason: "decoded frames do not match the probed size" })
    }
    return sink
  })

  const probedTiming = (video: string) =>
    prober.probe(video, { countPackets: false }).pipe(
      Effect.mapError(frameError(video, "could not read the clip")),
      Effect.map((info): VideoTiming | undefined => info.video && { ...info.video, fileDuration: info.duration })
    )

  /** Decodes the end of `video` as `timing` describes it; the last decoded frame as raw RGB. */
  const lastDecodedFrame = Effect.fnUntraced(function* (video: string, timing: VideoTiming | undefined) {
    if (!timing || timing.width === 0) return yield* new Errors.FrameError({ path: video, reason: "no video stream" })
    const size = { width: timing.width, height: timing.height }
    // Whatever follows the video's end (a longer audio track) is added to the window.
    const videoEnd = timing.startTime + timing.duration
    let window = initialWindowSeconds + Math.max(0, timing.fileDuration - videoEnd)
    // First try: convert only what follows 1.5 frames before the probed end. Should the timestamps
    // disagree with the probe (variable frame rate), nothing passes, and the full tail is used.
    const nearEnd = timing.fps > 0 ? videoEnd - 1.5 / timing.fps : undefined
    for (let attempt = 0; ; attempt++) {
      const whole = window >= timing.fileDuration
      const from = attempt === 0 ? nearEnd : undefined
      const sink = yield* decodeTail(video, size, whole ? undefined : window, from)
      if (sink.frames === 0 && from !== undefined) continue
      if (sink.frames > 0) return { frame: sink.frame, size }
      if (whole) return yield* new Errors.FrameError({ path: video, reason: "the clip has no decodable frame" })
      window *= 4
    }
  })

  const lastFrame = Effect.fn("FfmpegFrameExtractor.lastFrame")(function* (
    video: string,
    options: FrameExtractor.FitOptions
  ) {
    const target = yield* targetSize(video, options.size)
    const source = NodePath.resolve(video)
    // An MP4's header says what ffprobe would, in a millisecond rather than a process start.
    const movie = yield* Effect.promise(() => readMovie(source))
    const fromHeader = movie && videoTiming(movie)
    const clip = movie && fromHeader && lastFrameClip(movie)
    const piped = clip && fromHeader ? yield* decodeLastFrameClip(source, clip, fromHeader) : undefined
    const probed = Effect.flatMap(probedTiming(source), (timing) => lastDecodedFrame(source, timing))
    const { frame, size } =
      piped && fromHeader
        ? { frame: piped.frame, size: { width: fromHeader.width, height: fromHeader.height } }
        : fromHeader
          ? // Should the decode disagree with the header (an unusual file), ffprobe decides.
            yield* lastDecodedFrame(source, fromHeader).pipe(Effect.catch(() => probed))
          : yield* probed
    return yield* Effect.tryPromise({
      try: async () => {
        const image = (await loadSharp())(frame, { raw: { width: size.width, height: size.height, channels: 3 } })
        return writeFitted(image, size, target, NodePath.resolve(options.destination))
      },
      catch: frameError(options.destination, "could not write the frame")
    })
  })

  /** What ffprobe said about a file it could not read, without its version banner: `moov atom not found; …`. */
  const probeComplaint = (error: Probe.ProbeError) =>
    error.reason
      .split("\n")
      .map((line) => line.trim().replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, ""))
      .filter((line) => line !== "" && line !== "." && !/^(ffprobe |built with|configuration:|lib\w+ )/.test(line))
      .join("; ")

  /** A reference video's figures; its last frame is decoded (and dropped) to prove the end segment 1 opens on decodes. */
  const inspectVideo = Effect.fn("FfmpegFrameExtractor.inspectVideo")(function* (video: string) {
    const source = NodePath.resolve(video)
    const info = yield* prober
      .probe(source, { countPackets: false })
      .pipe(
        Effect.mapError(
          (error) => new Errors.FrameError({ path: source, reason: probeComplaint(error) || "ffprobe cannot read it" })
        )
      )
    const stream = info.video
    if (!stream || stream.width === 0 || stream.height === 0) {
      return yield* new Errors.FrameError({ path: source, reason: "it has no video stream" })
    }
    yield* lastDecodedFrame(source, { ...stream, fileDuration: info.duration })
    return {
      width: stream.width,
      height: stream.height,
      seconds: stream.duration,
      fps: stream.fps,
      hasAudio: info.audio !== undefined
    } satisfies FrameExtractor.VideoInfo
  })

  const fitImage = Effect.fn("FfmpegFrameExtractor.fitImage")(function* (
    image: string,
    options: FrameExtractor.FitOptions
  ) {
    const target = yield* targetSize(image, options.size)
    return yield* Effect.tryPromise({
      try: async () => {
        const { width, height } = await inspect(image)
        return writeFitted(
          (await loadSharp())(image).autoOrient(),
          { width, height },
          target,
          NodePath.resolve(options.destination)
        )
      },
      catch: frameError(image, "could not fit the image")
    })
  })

  const inspectImage = (path: string) =>
    Effect.tryPromise({
      try: async () => {
        const info = await inspect(path)
        await checkDecodes(path)
        return info
      },
      catch: frameError(path, "not a readable image")
    })

  // sharp (libvips) and the decoder the first last frame will use are started while the first clip renders: not
  // before the first create, nor at the first seam.
  const startInBackground = (warm: WarmProcess) =>
    Effect.sync(() => {
      warm.warmAfter(BACKGROUND_START_MS)
      setTimeout(() => void loadSharp().catch(() => undefined), BACKGROUND_START_MS).unref()
    })

  return FrameExtractor.FrameExtractor.of({
    preflight: Effect.asVoid(Effect.flatMap(decoderFor, startInBackground)),
    inspectImage,
    inspectVideo,
    fitImage,
    lastFrame
  })
})

/** Needs `FfmpegBinary` and `Probe`; prefer `layer` / `layerConfig` unless you share those with other layers. */
export const layerWithoutDependencies: Layer.Layer<
  FrameExtractor.FrameExtractor,
  never,
  FfmpegBinary.FfmpegBinary | Probe.Probe
> = Layer.effect(FrameExtractor.FrameExtractor, make)

export const layer = (options: FfmpegBinary.Options = {}): Layer.Layer<FrameExtractor.FrameExtractor> =>
  layerWithoutDependencies.pipe(Layer.provide(Probe.layer), Layer.provide(FfmpegBinary.layer(options)))

/** Reads `FFMPEG_PATH` / `FFPROBE_PATH`. */
export const layerConfig: Layer.Layer<FrameExtractor.FrameExtractor, Config.ConfigError> =
  layerWithoutDependencies.pipe(Layer.provide(Probe.layer), Layer.provide(FfmpegBinary.layerConfig))
