/**
 * core's `AudioBlender` with ffmpeg, and the audio half of `inspect`. Each clip of a real model brings
 * its own sound, so even a frame-exact cut jumps (clicks) in the audio. `blend` rebuilds only the audio
 * track from the segments' own audio and crossfades it over a short window ending at every seam; the
 * video packets are copied untouched. The later segment's audio keeps its place against its picture:
 * the window is filled from the audio of the frame a cut drops, and with silence where there is none,
 * so audio and video never move apart, not even by a sample per seam.
 */
import { mkdtemp, rename, rm } from "node:fs/promises"
import * as NodePath from "node:path"
import { AudioSeam, Errors, type Transition } from "@longsora/core"
import { Effect, Layer } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { run } from "./internal/process.ts"
import { type MediaInfo, Probe } from "./Probe.ts"

/** Where each segment's picture sits in the joined output, and how much of its clip a cut dropped. */
export interface Placement {
  /** Output time the segment's picture starts at. */
  readonly start: number
  /** Clip time of the segment's first frame in the output (one frame for a cut's later segments). */
  readonly skip: number
  /** Seconds of the segment's picture in the output. */
  readonly span: number
}

export const placements = (
  segments: ReadonlyArray<MediaInfo>,
  transition: Transition.Transition
): ReadonlyArray<Placement> => {
  let start = 0
  return segments.map((segment, i) => {
    const video = segment.video!
    const skip = transition._tag === "Cut" && i > 0 ? 1 / video.fps : 0
    const placement = { start, skip, span: video.duration - skip }
    start += placement.span
    return placement
  })
}

const seconds6 = (value: number) => Math.max(0, value).toFixed(6)

/**
 * The filter graph: per segment its audio (or silence) from `window` before its picture starts, padded
 * with silence where the clip has no audio that early, then each crossfaded into the next over `window`.
 */
export const blendGraph = (
  segments: ReadonlyArray<MediaInfo>,
  places: ReadonlyArray<Placement>,
  window: number,
  format: { readonly sampleRate: number; readonly layout: string },
  /** The ffmpeg input number of the first segment. */
  firstInput = 0
): string => {
  const aformat = `aformat=sample_fmts=fltp:sample_rates=${format.sampleRate}:channel_layouts=${format.layout}`
  const pieces = segments.map((segment, i) => {
    const { skip, span } = places[i]!
    const lead = i > 0 ? window : 0
    const from = skip - lead
    const pad = from < 0 ? -from : 0
    const length = span + lead
    const source = segment.audio
      ? `[${firstInput + i}:a:0]atrim=start=${seconds6(from)}:end=${seconds6(skip + span)},asetpts=PTS-STARTPTS,${aformat}`
      : `anullsrc=r=${format.sampleRate}:cl=${format.layout},atrim=duration=${seconds6(length - pad)},${aformat}`
    // Silence where the clip has no audio before the window: the sound stays on its picture.
    const padded = pad > 0 ? `,adelay=delays=${Math.round(pad * format.sampleRate)}S:all=1` : ""
    // Exactly the piece's length (an AAC track may end a few ms early or late).
    return `${source}${padded},apad,atrim=end_sample=${Math.round(length * format.sampleRate)}[p${i}]`
  })
  const fades = segments.slice(1).map((_, k) => {
    const from = k === 0 ? "[p0]" : `[x${k}]`
    const to = k === segments.length - 2 ? "[a]" : `[x${k + 1}]`
    return `${from}[p${k + 1}]acrossfade=d=${seconds6(window)}:c1=qsin:c2=qsin${to}`
  })
  return [...pieces, ...fades].join(";")
}

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary
  const prober = yield* Probe
  const ffmpeg = (args: ReadonlyArray<string>) => run(binary.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args])

  const blend = Effect.fn("AudioSeam.blend")(function* (input: AudioSeam.BlendInput) {
    const output = NodePath.resolve(input.output)
    const fail = (reason: string) => (cause: unknown) =>
      new Errors.CombineError({
        output,
        reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    const none = { seams: 0, seconds: input.seconds }
    // A crossfade already blends the sound with the picture.
    if (input.segments.length < 2 || input.transition._tag === "Crossfade") return none
    const probe = (file: string) => prober.probe(file, { countPackets: false })
    const segments = yield* Effect.forEach(input.segments, probe, { concurrency: 2 }).pipe(
      Effect.mapError(fail("could not probe"))
    )
    // The joined output's sound is the segments': the first one with sound sets the format.
    const sound = segments.find((s) => s.audio)?.audio
    if (!sound || segments.some((s) => !s.video)) return none
    const places = placements(segments, input.transition)
    const window = Math.min(input.seconds, ...places.map((p) => p.span / 2))
    const format = { sampleRate: sound.sampleRate, layout: sound.channels === 1 ? "mono" : "stereo" }
    const workDir = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => mkdtemp(NodePath.join(NodePath.dirname(output), ".longsora-join-audio-")),
        catch: fail("could not create a working directory")
      }),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const remuxed = NodePath.join(workDir, "output.mp4")
    const bitRate = sound.bitRate ? String(sound.bitRate) : "128000"
    // One pass: the joined video's packets are copied as they are, only the audio track is made anew
    // (input 0 is the joined output; the segments, inputs 1…N, bring their sound).
    yield* ffmpeg([
      ...["-i", output, ...segments.flatMap((s) => ["-i", s.path])],
      ...["-filter_complex", blendGraph(segments, places, window, format, 1), "-map", "0:v:0", "-map", "[a]"],
      ...["-c:v", "copy", "-c:a", "aac", "-b:a", bitRate, "-ar", String(format.sampleRate)],
      ...["-movflags", "+faststart", "-f", "mp4", remuxed]
    ]).pipe(Effect.mapError(fail("could not blend the audio")))
    yield* Effect.tryPromise({
      try: () => rename(remuxed, output),
      catch: fail("could not move the output into place")
    })
    return { seams: segments.length - 1, seconds: window }
  }, Effect.scoped)

  return AudioSeam.AudioBlender.of({ blend })
})

/** Needs `FfmpegBinary` and `Probe` (both in `FfmpegServices`). */
export const layerWithoutDependencies: Layer.Layer<AudioSeam.AudioBlender, never, FfmpegBinary | Probe> = Layer.effect(
  AudioSeam.AudioBlender,
  make
)
