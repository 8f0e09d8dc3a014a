/** Runs ffmpeg/ffprobe as child processes inside Effect; interruption kills the process and waits for it. */
import { type ChildProcess, spawn } from "node:child_process"
import { Data, Effect } from "effect"

export class ProcessError extends Data.TaggedError("ProcessError")<{
  readonly command: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.command}: ${this.reason}`
  }
}

export interface RunOptions {
  /** Receives stdout as it arrives (then `stdout` in the result stays empty). */
  readonly onStdout?: (chunk: Buffer) => void
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
}

/** Keep only the end of stderr: ffmpeg is chatty and the reason for a failure is at the end. */
const STDERR_TAIL = 8192

/** Collects the end of `child`'s stderr; the function returns what it has so far. */
export const stderrTail = (child: ChildProcess): (() => string) => {
  let tail = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL)
  })
  return () => tail
}

/** Why a process failed, as `exit code 1: …` or `killed by SIGKILL: …` with the last lines it wrote. */
export const exitReason = (code: number | null, signal: NodeJS.Signals | null, stderr: string): string =>
  `${signal ? `killed by ${signal}` : `exit code ${code}`}: ${stderr.trim().split("\n").slice(-6).join("\n")}`

const waitForExit = (child: ChildProcess): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("close", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

export const run = (binary: string, args: ReadonlyArray<string>, options: RunOptions = {}) =>
  Effect.callback<RunResult, ProcessError>((resume) => {
    const command = `${binary} ${args.join(" ")}`
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] })
    const stdout: Array<Buffer> = []
    const stderr = stderrTail(child)
    let callbackError: unknown
    child.stdout.on("data", (chunk: Buffer) => {
      if (!options.onStdout) return void stdout.push(chunk)
      try {
        options.onStdout(chunk)
      } catch (error) {
        callbackError ??= error
      }
    })
    child.once("error", (cause) => resume(Effect.fail(new ProcessError({ command, reason: cause.message, cause }))))
    child.once("close", (code, signal) => {
      if (callbackError !== undefined) {
        return resume(Effect.fail(new ProcessError({ command, reason: String(callbackError), cause: callbackError })))
      }
      if (code === 0)
        return resume(Effect.succeed({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: stderr() }))
      resume(Effect.fail(new ProcessError({ command, reason: exitReason(code, signal, stderr()) })))
    })
    return waitForExit(child)
  })
