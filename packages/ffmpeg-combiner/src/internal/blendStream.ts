/**
 * A soundtrack encoded while it is made: one AAC encoder (ffmpeg reading PCM on its stdin) runs for the whole
 * output, and each segment's piece is decoded and crossfaded into it (`CrossfadeChain`) as soon as the segment is
 * there, while the next one renders. It is one continuous encode, the same as encoding the finished track at once,
 * so no seam of the encoder shows; only the last piece and the encoder's flush are left for the end of a run.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Effect } from "effect"
import { CrossfadeChain } from "./crossfadeChain.ts"
import { exitReason, ProcessError, stderrTail } from "./process.ts"

export interface PcmFormat {
  readonly sampleRate: number
  readonly channels: number
  /** The AAC bit rate, bits per second. */
  readonly bitRate: number
}

interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

/** Spawns `binary`, collecting the end of its stderr; `exit` settles when it has closed (or failed to start). */
const started = (binary: string, args: ReadonlyArray<string>, stdin: "pipe" | "ignore") => {
  const child = spawn(binary, args, { stdio: [stdin, "pipe", "pipe"] })
  const stderr = stderrTail(child)
  const exit = new Promise<Exit>((resolve) => {
    child.once("error", (cause) => resolve({ code: null, signal: null, stderr: cause.message }))
    child.once("close", (code, signal) => resolve({ code, signal, stderr: stderr() }))
  })
  return { child, exit, command: `${binary} ${args.join(" ")}` }
}

const failure = (command: string, exit: Exit) =>
  new ProcessError({ command, reason: exitReason(exit.code, exit.signal, exit.stderr) })

/**
 * ffmpeg's AAC coder for a bit rate. Its manual (ffmpeg-codecs, `aac_coder`): `fast` is "worse with low bitrates
 * (less than 64kbps), but is better and much faster at higher bitrates" than the default `twoloop` (about twice
 * as fast here: an 8 s stereo track at 64 kb/s in 0.09 s against 0.20 s; at 128 kb/s 0.26 s against 0.46 s).
 */
export const coderFor = (bitRate: number): "fast" | "twoloop" => (bitRate >= 64_000 ? "fast" : "twoloop")

export class BlendStream {
  private readonly binary: string
  private readonly format: PcmFormat
  private readonly chain: CrossfadeChain
  private readonly encoder: ReturnType<typeof started>
  /** The encoded soundtrack (an MP4 with one AAC track), complete once `finish` succeeds. */
  readonly file: string

  /** Starts the encoder; pieces crossfade over `window` frames. */
  constructor(binary: string, file: string, format: PcmFormat, window: number) {
    this.binary = binary
    this.format = format
    this.file = file
    this.chain = new CrossfadeChain(format.channels, window)
    const pcm = ["-f", "f32le", "-ar", String(format.sampleRate), "-ac", String(format.channels)]
    this.encoder = started(
      binary,
      [
        ...["-v", "error", "-y", ...pcm, "-i", "pipe:0"],
        ...["-c:a", "aac", "-aac_coder", coderFor(format.bitRate), "-b:a", String(format.bitRate), "-f", "mp4", file]
      ],
      "pipe"
    )
    // A write after the encoder died fails here; its exit code says why, at `finish`.
    this.encoder.child.stdin!.on("error", () => {})
  }

  /**
   * Decodes one piece with ffmpeg (`graph` makes the labelled output `[piece]` from `input`, if any) and passes it
   * through the crossfade to the encoder, at the encoder's pace. Interruption kills the decoder.
   */
  readonly feed = (graph: string, input: string | undefined): Effect.Effect<void, ProcessError> =>
    Effect.callback<void, ProcessError>((resume) => {
      const { sampleRate, channels } = this.format
      const decoder = started(
        this.binary,
        [
          ...["-nostdin", "-v", "error", ...(input ? ["-i", input] : []), "-filter_complex", graph],
          ...["-map", "[piece]", "-f", "f32le", "-ar", String(sampleRate), "-ac", String(channels), "pipe:1"]
        ],
        "ignore"
      )
      const stdin = this.encoder.child.stdin!
      let broken: unknown
      decoder.child.stdout!.on("data", (chunk: Buffer) => {
        if (broken !== undefined) return
        try {
          const ready = this.chain.push(chunk)
          if (ready.length > 0 && !stdin.write(ready)) {
            // The encoder is behind: wait for it rather than hold the decoded audio in memory.
            decoder.child.stdout!.pause()
            stdin.once("drain", () => decoder.child.stdout!.resume())
          }
        } catch (error) {
          broken = error
          decoder.child.kill("SIGKILL")
        }
      })
      void decoder.exit.then((exit) => {
        if (broken !== undefined) {
          return resume(Effect.fail(new ProcessError({ command: decoder.command, reason: String(broken) })))
        }
        if (exit.code !== 0) return resume(Effect.fail(failure(decoder.command, exit)))
        try {
          this.chain.endPiece()
          resume(Effect.void)
        } catch (error) {
          resume(Effect.fail(new ProcessError({ command: decoder.command, reason: String(error), cause: error })))
        }
      })
      return Effect.sync(() => decoder.child.kill("SIGKILL"))
    })

  /** Writes the held tail, closes the encoder's input and waits for it to write the file. */
  readonly finish: Effect.Effect<string, ProcessError> = Effect.callback<string, ProcessError>((resume) => {
    const { child, exit, command } = this.encoder
    child.stdin!.end(this.chain.finish())
    void exit.then((result) =>
      resume(result.code === 0 ? Effect.succeed(this.file) : Effect.fail(failure(command, result)))
    )
    return Effect.sync(() => child.kill("SIGKILL"))
  })

  /** Stops the encoder (a soundtrack given up, or the run's end). */
  readonly kill = (): void => {
    const child: ChildProcess = this.encoder.child
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
}
