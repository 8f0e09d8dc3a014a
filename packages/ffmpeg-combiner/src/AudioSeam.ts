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
import { Effect, Exit, Layer, Semaphore } from "effect"
import { FfmpegBinary } from "./FfmpegBinary.ts"
import { BlendStream } from "./internal/blendStream.ts"
import { planAudioSwap, readMovie, streamsOf, writeJoin } from "./internal/mp4/index.ts"
import { type ProcessError, run } from "./internal/process.ts"
import { identity } from "./Preparation.ts"
import { type MediaInfo, Probe, type ProbeError } from "./Probe.ts"

/** Where each segment's picture sits in the joined output, and how much of its clip a cut dropped. */
export interface Placement {
  /** Output time the segment's picture starts at. */
  readonly start: number
  /** Clip time of the segment's first frame in the output (one frame for a cut's later segments). */
  readonly skip: number
  /** Seconds of the segment's picture in the output. */
  readonly span: number
}

/** What a piece of the soundtrack is made from: a segment's file, its video's length and rate, its sound's format. */
export interface PieceSource {
  readonly path: string
  readonly video: { readonly duration: number; readonly fps: number } | undefined
  readonly audio:
    | { readonly sampleRate: number; readonly channels: number; readonly bitRate: number | undefined }
    | undefined
}

/** Where segment `index` (0-based) sits: a `Cut` shows a later segment from its second frame. */
const placementOf = (segment: PieceSource, index: number, transition: Transition.Transition) => {
  const video = segment.video!
  const skip = transition._tag === "Cut" && index > 0 ? 1 / video.fps : 0
  return { skip, span: video.duration - skip }
}

export const placements = (
  segments: ReadonlyArray<MediaInfo>,
  transition: Transition.Transition
): ReadonlyArray<Placement> => {
  let start = 0
  return segments.map((segment, i) => {
    const placement = { start, ...placementOf(segment, i, transition) }
    start += placement.span
    return placement
  })
}

const seconds6 = (value: number) => Math.max(0, value).toFixed(6)

/**
 * The filter graph of one segment's piece of the soundtrack, labelled `[piece]`: its audio (or silence) from
 * `lead` before its picture starts to the picture's end, padded with silence where the clip has no audio that
 * early, at exactly that length. Consecutive pieces overlap by `lead`, where they are crossfaded.
 */
export const pieceGraph = (
  segment: PieceSource,
  place: Pick<Placement, "skip" | "span">,
  lead: number,
  format: { readonly sampleRate: number; readonly layout: string }
): string => {
  const aformat = `aformat=sample_fmts=fltp:sample_rates=${format.sampleRate}:channel_layouts=${format.layout}`
  const { skip, span } = place
  const from = skip - lead
  const pad = from < 0 ? -from : 0
  const length = span + lead
  const source = segment.audio
    ? `[0:a:0]atrim=start=${seconds6(from)}:end=${seconds6(skip + span)},asetpts=PTS-STARTPTS,${aformat}`
    : `anullsrc=r=${format.sampleRate}:cl=${format.layout},atrim=duration=${seconds6(length - pad)},${aformat}`
  // Silence where the clip has no audio before the window: the sound stays on its picture.
  const padded = pad > 0 ? `,adelay=delays=${Math.round(pad * format.sampleRate)}S:all=1` : ""
  // Exactly the piece's length (an AAC track may end a few ms early or late).
  return `${source}${padded},apad,atrim=end_sample=${Math.round(length * format.sampleRate)}[piece]`
}

/**
 * One output's soundtrack in the making: the segments seen so far (probed, in order) and, once one of them has
 * sound to set the format, the encoder the pieces stream into.
 */
interface Soundtrack {
  readonly lock: Semaphore.Semaphore
  readonly directory: string
  seen: Array<{ readonly identity: string; readonly info: PieceSource }>
  stream: BlendStream | undefined
  /** Pieces in the stream. */
  fed: number
  /** The crossfade's length the stream was started with. */
  window: number
  /** What the soundtrack is for; a request for another transition or length starts over. */
  settings: string
}

export const make = Effect.gen(function* () {
  const binary = yield* FfmpegBinary
  const prober = yield* Probe
  const ffmpeg = (args: ReadonlyArray<string>) => run(binary.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args])
  const soundtracks = new Map<string, Soundtrack>()

  const fail = (output: string) => (reason: string) => (cause: unknown) =>
    new Errors.CombineError({
      output,
      reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause
    })

  /** The soundtrack of `output`, made (in a directory beside it) and given up with `scope`. */
  const soundtrackOf = (output: string) =>
    Effect.gen(function* () {
      const known = soundtracks.get(output)
      if (known) return known
      const directory = yield* Effect.tryPromise(() =>
        mkdtemp(NodePath.join(NodePath.dirname(output), ".longsora-join-audio-"))
      )
      const made: Soundtrack = {
        lock: yield* Semaphore.make(1),
        directory,
        seen: [],
        stream: undefined,
        fed: 0,
        window: 0,
        settings: ""
      }
      soundtracks.set(output, made)
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          made.stream?.kill()
          if (soundtracks.get(output) === made) soundtracks.delete(output)
          await rm(directory, { recursive: true, force: true })
        })
      )
      return made
    })

  /** A segment's streams, from its header when it is a plain MP4 with AAC sound (a millisecond), else ffprobe's. */
  const sourceOf = (path: string) =>
    Effect.promise(() => readMovie(path)).pipe(
      Effect.flatMap((movie) => {
        const streams = movie && streamsOf(movie)
        return streams ? Effect.succeed<PieceSource>({ path, ...streams }) : prober.probe(path, { countPackets: false })
      })
    )

  /** Stops the encoder; the segments seen stay known, their pieces are streamed again. */
  const dropStream = (soundtrack: Soundtrack) => {
    soundtrack.stream?.kill()
    Object.assign(soundtrack, { stream: undefined, fed: 0 })
  }

  /** Forgets everything: the soundtrack is for other segments or settings. */
  const restart = (soundtrack: Soundtrack, settings: string) => {
    dropStream(soundtrack)
    Object.assign(soundtrack, { seen: [], window: 0, settings })
  }

  /**
   * Brings `soundtrack` up to `input.segments`: probes the new ones and streams every piece whose segment is
   * known, starting over when an earlier segment changed or the crossfade must be shorter than the stream's.
   */
  const advance = Effect.fnUntraced(function* (
    soundtrack: Soundtrack,
    input: AudioSeam.BlendInput
  ): Effect.fn.Return<"no video" | "no sound yet" | "streaming", ProbeError | ProcessError> {
    const settings = `${input.transition._tag}/${input.seconds}`
    if (soundtrack.settings !== settings) restart(soundtrack, settings)
    const identities = yield* Effect.forEach(input.segments, (file) => identity(NodePath.resolve(file)))
    if (soundtrack.seen.some((seen, i) => identities[i] !== undefined && seen.identity !== identities[i])) {
      restart(soundtrack, settings)
    }
    for (let i = soundtrack.seen.length; i < identities.length; i++) {
      const info = yield* sourceOf(NodePath.resolve(input.segments[i]!))
      if (!info.video) return "no video"
      soundtrack.seen.push({ identity: identities[i]!, info })
    }
    const infos = soundtrack.seen.map((s) => s.info)
    // The joined output's sound is the segments': the first one with sound sets the format.
    const sound = infos.find((s) => s.audio)?.audio
    if (!sound) return "no sound yet"
    const places = infos.map((info, i) => placementOf(info, i, input.transition))
    const window = Math.min(input.seconds, ...places.map((p) => p.span / 2))
    // A later segment too short for the crossfade: the pieces streamed so far are made again.
    if (soundtrack.stream && window < soundtrack.window) dropStream(soundtrack)
    const format = {
      sampleRate: sound.sampleRate,
      channels: sound.channels === 1 ? 1 : 2,
      bitRate: sound.bitRate ?? 128_000
    }
    if (!soundtrack.stream) {
      const file = NodePath.join(soundtrack.directory, "soundtrack.m4a")
      soundtrack.stream = new BlendStream(binary.ffmpeg, file, format, Math.round(window * format.sampleRate))
      soundtrack.window = window
    }
    const layout = { sampleRate: format.sampleRate, layout: format.channels === 1 ? "mono" : "stereo" }
    for (let i = soundtrack.fed; i < infos.length; i++) {
      const graph = pieceGraph(infos[i]!, places[i]!, i > 0 ? soundtrack.window : 0, layout)
      const stream = soundtrack.stream
      yield* stream.feed(graph, infos[i]!.audio ? infos[i]!.path : undefined).pipe(
        // A piece cut short (an error, an interruption) leaves the stream unusable: the next try starts it again.
        Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => dropStream(soundtrack))))
      )
      soundtrack.fed = i + 1
    }
    return "streaming"
  })

  /** `output` with its audio track replaced by `soundtrack`'s, in place (atomically). */
  const replaceAudio = Effect.fnUntraced(function* (output: string, soundtrack: string, directory: string) {
    const remuxed = NodePath.join(directory, "output.mp4")
    const [movie, sound] = yield* Effect.promise(() => Promise.all([readMovie(output), readMovie(soundtrack)]))
    const swap = movie && sound ? planAudioSwap(movie, sound) : "a header could not be read"
    if (typeof swap === "string") {
      yield* Effect.logDebug(`audio muxed by ffmpeg: ${swap}`)
      yield* ffmpeg([
        ...["-i", output, "-i", soundtrack, "-map", "0:v:0", "-map", "1:a:0", "-c", "copy"],
        ...["-movflags", "+faststart", "-f", "mp4", remuxed]
      ])
    } else {
      yield* Effect.tryPromise(() => writeJoin(swap, remuxed))
    }
    yield* Effect.tryPromise(() => rename(remuxed, output))
  })

  const prepare = (input: AudioSeam.BlendInput) =>
    input.segments.length === 0 || input.transition._tag === "Crossfade"
      ? Effect.void
      : Effect.gen(function* () {
          const soundtrack = yield* soundtrackOf(NodePath.resolve(input.output))
          yield* soundtrack.lock.withPermit(advance(soundtrack, input))
        }).pipe(
          // Whatever is not ready, `blend` does itself.
          Effect.catchCause((cause) => Effect.logDebug("audio blend not prepared", cause)),
          Effect.asVoid
        )

  const blend = Effect.fn("AudioSeam.blend")(function* (input: AudioSeam.BlendInput) {
    const output = NodePath.resolve(input.output)
    const failWith = fail(output)
    const none = { seams: 0, seconds: input.seconds }
    // A crossfade already blends the sound with the picture.
    if (input.segments.length < 2 || input.transition._tag === "Crossfade") return none
    const soundtrack = yield* soundtrackOf(output).pipe(
      Effect.mapError(failWith("could not create a working directory"))
    )
    return yield* soundtrack.lock.withPermit(
      Effect.gen(function* () {
        // Exactly these segments: a soundtrack prepared for others (more of them, or changed ones) starts over.
        if (soundtrack.seen.length > input.segments.length) restart(soundtrack, "")
        const state = yield* advance(soundtrack, input).pipe(Effect.mapError(failWith("could not blend the audio")))
        if (state !== "streaming") return none
        const made = yield* soundtrack.stream!.finish.pipe(Effect.mapError(failWith("could not blend the audio")))
        yield* replaceAudio(output, made, soundtrack.directory).pipe(
          Effect.mapError(failWith("could not put the blended audio in the output"))
        )
        soundtracks.delete(output)
        yield* Effect.promise(() => rm(soundtrack.directory, { recursive: true, force: true }))
        return { seams: input.segments.length - 1, seconds: soundtrack.window }
      })
    )
  }, Effect.scoped)

  return AudioSeam.AudioBlender.of({ blend, prepare })
})

/** Needs `FfmpegBinary` and `Probe` (both in `FfmpegServices`). */
export const layerWithoutDependencies: Layer.Layer<AudioSeam.AudioBlender, never, FfmpegBinary | Probe> = Layer.effect(
  AudioSeam.AudioBlender,
  make
)
