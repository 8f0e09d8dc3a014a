/**
 * The runs this server process is making. `generate` (or `regenerate`) starts one as a fiber of the server's scope and
 * returns at once; the fiber outlives the tool call and records what core's progress events say, so
 * `status` can report the provider's percentages and send them as MCP progress notifications. A run
 * is an ordinary core run: its manifest and lock are on disk, and when this process ends it is
 * resumed by the next `generate` of the same request.
 */
import type { LongVideoResult } from "@longsora/core"
import { Progress } from "@longsora/core"
import type { LongSora } from "@longsora/sdk"
import { Cause, type Context, Deferred, Effect, Exit, Scope } from "effect"
import { messageOf } from "./Messages.ts"

export interface LiveRun {
  readonly name: string
  readonly outputDir: string
  state: "running" | "completed" | "failed" | "interrupted"
  segments: number
  /** Latest provider percentage per segment still rendering. */
  readonly percent: Map<number, number>
  readonly completed: Set<number>
  joined: boolean
  error: string | undefined
  result: LongVideoResult.LongVideoResult | undefined
  /** Done once core has taken the directory (lock, manifest) and started, or failed before that. */
  readonly started: Deferred.Deferred<void, unknown>
  readonly done: Deferred.Deferred<void>
}

const record = (run: LiveRun, event: Progress.ProgressEvent) => {
  switch (event._tag) {
    case "Started":
      run.segments = event.durations.length
      Deferred.doneUnsafe(run.started, Exit.void)
      return
    case "SegmentProgress":
      run.percent.set(event.segment, event.percent)
      return
    case "SegmentCompleted":
      run.completed.add(event.segment)
      run.percent.delete(event.segment)
      return
    case "SegmentReused":
      // Finished by an earlier run; a reused job still rendering reports progress and completes later.
      if (event.state === "completed") run.completed.add(event.segment)
      return
    case "SegmentRecreated":
      run.completed.delete(event.segment)
      run.percent.delete(event.segment)
      return
    case "Joined":
      run.joined = true
      return
  }
}

/** Progress for MCP: one unit per segment (a rendering one counts its share) and one for the join. */
export const progressOf = (run: LiveRun) => {
  let progress = run.completed.size + (run.joined ? 1 : 0)
  // A rendering segment counts at most 0.99: at 100 % it still has to be downloaded and recorded.
  for (const [segment, percent] of run.percent) {
    if (!run.completed.has(segment)) progress += Math.min(99, Math.max(0, percent)) / 100
  }
  const rendering = [...run.percent.entries()].map(([segment, percent]) => `segment ${segment} ${Math.round(percent)}%`)
  const message =
    run.state !== "running"
      ? `run ${run.state}`
      : run.completed.size === run.segments && run.segments > 0
        ? "joining segments"
        : `${run.completed.size}/${run.segments} segments done${rendering.length > 0 ? `; ${rendering.join(", ")}` : ""}`
  return { progress: Math.round(progress * 100) / 100, total: run.segments + 1, message }
}

/** What a run does: core's generate, or a regenerate. */
export type Program = Effect.Effect<LongVideoResult.LongVideoResult, unknown, LongSora.Services>

/** A run's services and the scope they live in; the run closes it when it ends. */
export interface Services {
  readonly context: Context.Context<LongSora.Services>
  readonly scope: Scope.Closeable
}

export interface LiveRuns {
  readonly get: (outputDir: string) => LiveRun | undefined
  /**
   * Starts the run in the background; resolves once core has started it, or fails with why it could
   * not. A run already going in the same directory is returned instead (`joined`), not started twice.
   */
  readonly start: (
    name: string,
    outputDir: string,
    program: Program,
    services: Services
  ) => Effect.Effect<{ readonly run: LiveRun; readonly joined: boolean }, unknown>
}

export const make = (scope: Scope.Scope): LiveRuns => {
  const runs = new Map<string, LiveRun>()
  const start: LiveRuns["start"] = (name, outputDir, program, services) =>
    Effect.gen(function* () {
      const running = runs.get(outputDir)
      if (running?.state === "running") {
        yield* Scope.close(services.scope, Exit.void)
        return { run: running, joined: true }
      }
      const run: LiveRun = {
        name,
        outputDir,
        state: "running",
        segments: 0,
        percent: new Map(),
        completed: new Set(),
        joined: false,
        error: undefined,
        result: undefined,
        started: Deferred.makeUnsafe(),
        done: Deferred.makeUnsafe()
      }
      const previous = runs.get(outputDir)
      runs.set(outputDir, run)
      // The run's services (an offline emulator on the run's directory) are closed before the run
      // reads as ended, so a next call on the same directory never meets them still open.
      const finish = (exit: Exit.Exit<LongVideoResult.LongVideoResult, unknown>) =>
        Scope.close(services.scope, exit).pipe(
          Effect.andThen(
            Effect.sync(() => {
              // Refused before it started (a conflict, a lock): the directory's earlier run is still the one there.
              if (!Deferred.isDoneUnsafe(run.started)) {
                if (previous) runs.set(outputDir, previous)
                else runs.delete(outputDir)
              }
              if (Exit.isSuccess(exit)) {
                run.state = "completed"
                run.result = exit.value
              } else if (Cause.hasInterruptsOnly(exit.cause)) {
                run.state = "interrupted"
              } else {
                run.state = "failed"
                run.error = messageOf(Cause.squash(exit.cause))
              }
              Deferred.doneUnsafe(run.started, Exit.isSuccess(exit) ? Exit.void : Exit.failCause(exit.cause))
              Deferred.doneUnsafe(run.done, Exit.void)
            })
          )
        )
      yield* program.pipe(
        Effect.provideService(
          Progress.ProgressReporter,
          Progress.callbackReporter((event) => record(run, event))
        ),
        Effect.provideContext(services.context),
        Effect.onExit(finish),
        Effect.forkIn(scope)
      )
      yield* Deferred.await(run.started)
      return { run, joined: false }
    })
  return { get: (outputDir) => runs.get(outputDir), start }
}
