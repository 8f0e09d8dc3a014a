/**
 * A child process started ahead of need and left waiting on its stdin, so that loading ffmpeg (about 0.1 s) is
 * not paid when the input is ready. While it waits it holds no event-loop reference, so it never keeps Node
 * alive; if Node exits, its stdin closes and it exits too.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Effect } from "effect"
import { type Layout, streamLayout } from "./mp4/index.ts"
import { ProcessError } from "./process.ts"

const setReferenced = (child: ChildProcess, referenced: boolean) => {
  for (const target of [child, child.stdin, child.stdout, child.stderr]) {
    const handle = target as { ref?: () => void; unref?: () => void } | null
    if (referenced) handle?.ref?.()
    else handle?.unref?.()
  }
}

const alive = (child: ChildProcess | undefined): child is ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null && child.pid !== undefined

export class WarmProcess {
  private waiting: ChildProcess | undefined
  private pending: NodeJS.Timeout | undefined
  private readonly binary: string
  private readonly args: ReadonlyArray<string>

  constructor(binary: string, args: ReadonlyArray<string>) {
    this.binary = binary
    this.args = args
  }

  private start(): ChildProcess {
    const child = spawn(this.binary, this.args, { stdio: ["pipe", "pipe", "pipe"] })
    // A failed start is reported to whoever takes the process.
    child.on("error", () => {})
    return child
  }

  /** The waiting process's id, if one is waiting. */
  get waitingPid(): number | undefined {
    return alive(this.waiting) ? this.waiting.pid : undefined
  }

  /** Starts the next process, unless one is already waiting. */
  readonly warm = (): void => {
    this.cancelPending()
    if (alive(this.waiting)) return
    this.waiting = this.start()
    setReferenced(this.waiting, false)
  }

  /**
   * Starts the next process `delayMs` from now (unless one is waiting by then). Spawning, and ffmpeg loading its
   * libraries, take CPU (tens of ms on two cores) that the work right after a decode should not share.
   */
  readonly warmAfter = (delayMs: number): void => {
    if (alive(this.waiting) || this.pending !== undefined) return
    this.pending = setTimeout(this.warm, delayMs)
    this.pending.unref()
  }

  private cancelPending(): void {
    clearTimeout(this.pending)
    this.pending = undefined
  }

  /** Hands over the waiting process (or a new one); the caller owns it from now on. */
  readonly take = (): ChildProcess => {
    this.cancelPending()
    const child = alive(this.waiting) ? this.waiting : this.start()
    this.waiting = undefined
    setReferenced(child, true)
    return child
  }

  readonly close = (): void => {
    this.cancelPending()
    this.waiting?.kill("SIGKILL")
    this.waiting = undefined
  }

  /**
   * Feeds `layout` to a warm process's stdin and passes its stdout to `onStdout`; succeeds when it exits with 0.
   * Interruption kills it.
   */
  readonly feed = (layout: Layout, onStdout: (chunk: Buffer) => void) =>
    Effect.callback<void, ProcessError>((resume) => {
      const command = `${this.binary} ${this.args.join(" ")}`
      const child = this.take()
      let stderr = ""
      child.stdout!.on("data", onStdout)
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-4096)
      })
      // An early exit (bad input) closes stdin under us: the exit code tells what happened.
      child.stdin!.on("error", () => {})
      child.once("error", (cause) => resume(Effect.fail(new ProcessError({ command, reason: cause.message, cause }))))
      child.once("close", (code, signal) =>
        resume(
          code === 0
            ? Effect.void
            : Effect.fail(
                new ProcessError({
                  command,
                  reason: `${signal ? `killed by ${signal}` : `exit code ${code}`}: ${stderr.trim()}`
                })
              )
        )
      )
      const stdin = child.stdin!
      streamLayout(layout, (chunk) => new Promise<void>((done) => stdin.write(chunk, () => done())))
        .then(() => stdin.end())
        .catch((cause) => {
          child.kill("SIGKILL")
          resume(Effect.fail(new ProcessError({ command, reason: String(cause), cause })))
        })
      return Effect.sync(() => {
        if (alive(child)) child.kill("SIGKILL")
      })
    })
}
