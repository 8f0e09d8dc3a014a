/**
 * The LongSora MCP server on Effect's `McpServer`: over stdio here, over HTTP in `longsora serve`. It is a front-end like the CLI and
 * the SDK: the caller hands it the services layer (the CLI passes the same wiring it runs on, so
 * `--offline` means the embedded emulator here too), and it registers the tools and resources.
 */
import type { LongSora } from "@longsora/sdk"
import { Cause, Effect, Exit, Fiber, type FileSystem, Layer, Logger, Path, type Scope } from "effect"
import { McpProtocol, McpServer } from "effect/ai"
import type { ChildProcessSpawner } from "effect/process"
import type { Stdio } from "effect/Stdio"
import * as Defaults from "./Defaults.ts"
import * as DirectoryRuns from "./DirectoryRuns.ts"
import * as LiveRuns from "./LiveRuns.ts"
import * as Resources from "./Resources.ts"
import type * as RunStore from "./RunStore.ts"
import * as Tools from "./Tools.ts"

export const defaultRunsDir = Defaults.runsDir
export const defaultConfirmAbove = Defaults.confirmAboveUsd

export type ServiceRequest = Tools.ServiceRequest

export interface Options {
  /**
   * The services for one preview (plan, estimate) or one run, by its models and output directory:
   * built for that call or run, and closed when it ends.
   */
  readonly services: (request: ServiceRequest) => Layer.Layer<LongSora.Services, unknown>
  /** Ask before runs estimated above this many USD; undefined when nothing is billed (offline). */
  readonly confirmAbove: number | undefined
  readonly version?: string | undefined
}

/** Runs kept in a directory, one each (`longsora mcp`). */
export interface DirectoryOptions extends Options {
  /** Where runs live, one directory each (resolved against the working directory). */
  readonly runsDir: string
}

/** Runs kept by another store (`longsora serve`: its jobs), made from the server's scope. */
export interface StoreOptions extends Options {
  readonly runs: (scope: Scope.Scope) => RunStore.RunStore
}

export const instructions =
  "LongSora makes videos longer than one clip of a video model: it plans one prompt per segment, generates each segment " +
  "from the previous one's last frame, and joins them. Use estimate (free) or plan first, then generate, which returns at " +
  "once; follow the run with status (watch: true), and check the result with inspect (and redo one segment with regenerate)."

/**
 * The tools and the resources, for any transport: `layer` serves them over
 * stdio; an HTTP front-end (`longsora serve`) passes them to `McpServer.layerHttp` as `registrations`,
 * with its own run store.
 */
export const registrations = (options: DirectoryOptions | StoreOptions) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const common = { confirmAbove: options.confirmAbove, services: options.services }
      const runs =
        "runs" in options
          ? options.runs(scope)
          : DirectoryRuns.make({
              ...common,
              runsDir: (yield* Path.Path).resolve(options.runsDir),
              liveRuns: LiveRuns.make(scope),
              scope
            })
      yield* Tools.registerAll({ ...common, runs })
      yield* Resources.registerAll(runs)
    })
  )

export const layer = (
  options: DirectoryOptions
): Layer.Layer<
  McpServer.McpServer,
  unknown,
  Stdio | FileSystem.FileSystem | Path.Path | ChildProcessSpawner.ChildProcessSpawner
> =>
  McpServer.layerStdio({
    name: "longsora",
    version: options.version ?? "0.0.0",
    instructions,
    protocols: [McpProtocol.v2025_11_25, McpProtocol.v2025_06_18, McpProtocol.v2025_03_26],
    registrations: registrations(options)
  })

/**
 * Serves until the client closes stdin (then it succeeds) or the process is stopped. Runs still
 * going stop with it and stay resumable. Logs go to stderr: stdout carries the protocol.
 */
export const serve = (options: DirectoryOptions) =>
  Layer.launch(layer(options)).pipe(
    Effect.provideService(Logger.LogToStderr, true),
    // The stdio transport ends by interrupting the fiber that built it: a closed stdin is a normal end.
    Effect.forkChild,
    Effect.flatMap(Fiber.await),
    Effect.flatMap((exit) =>
      Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) ? Effect.failCause(exit.cause) : Effect.void
    )
  )
