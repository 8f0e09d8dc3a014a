/**
 * Where the tools' runs live and how they are started and followed. `longsora mcp` keeps them in a
 * directory, one run each (`DirectoryRuns`); `longsora serve` keeps them as its API's jobs, so a run
 * started over MCP is an ordinary server job. The tools (`Tools`) are the same over either: the
 * arguments, the cost confirmation and the messages do not depend on the store.
 */
import type { Manifest } from "@longsora/core"
import type { Effect, FileSystem, Path } from "effect"
import type { McpSchema, McpServer } from "effect/ai"
import type * as ToolParams from "./ToolParams.ts"
import type { Reply } from "./ToolRegistry.ts"

/** What a store may use while it handles a tool call. */
export type CallServices = McpSchema.McpRequestContext | McpServer.McpServer | FileSystem.FileSystem | Path.Path

/** A run's directory and manifest, for the tools that read a run's files (inspect). */
export interface RunFiles {
  readonly outputDir: string
  readonly manifest: Manifest.Manifest
  /**
   * How the caller reaches the run's video and files when they are not its own local paths (a
   * server's: the API's content URL and the run's resources); absent: the paths themselves.
   */
  readonly shown?: { readonly output: string; readonly file: (name: string) => string } | undefined
}

/** A line of the recent runs (the `longsora://runs` resource). */
export interface RunSummary {
  readonly run: string
  readonly state: string
  readonly completedSegments: number
  readonly totalSegments: number
  /** Where the video is once made: a file path (`longsora mcp`) or the API's content URL (`longsora serve`). */
  readonly output: string | null | undefined
  /** ISO time of the run's last change. */
  readonly modifiedAt: string
}

export interface RunStore {
  /** The most recent runs, newest first. */
  readonly recent: (limit: number) => Effect.Effect<ReadonlyArray<RunSummary>, unknown, CallServices>
  /** The directory the run of this name is (or would be) made in; previews read nothing else there. */
  readonly directoryOf: (run: string) => Effect.Effect<string, never, Path.Path>
  /** Starts (or resumes, or finds running) the run `params` describe, after asking about its cost. */
  readonly generate: (params: ToolParams.GenerateParams) => Effect.Effect<Reply, unknown, CallServices>
  /** A run's progress; with `watch`, follows it with progress notifications first. */
  readonly status: (params: ToolParams.StatusParams) => Effect.Effect<Reply, unknown, CallServices>
  /** A run's directory and manifest; fails naming the run when there is none. */
  readonly files: (run: string) => Effect.Effect<RunFiles, unknown, CallServices>
  /** Makes one segment of a finished run again, after asking about its cost; absent where a store cannot. */
  readonly regenerate?:
    | ((params: ToolParams.RegenerateParams) => Effect.Effect<Reply, unknown, CallServices>)
    | undefined
}

/** A status answer: one line on what happened, the run's state, and what to do next. */
export const statusReply = (
  status: {
    readonly run: string
    readonly state: string
    readonly completedSegments: number
    readonly totalSegments: number
    readonly output?: string | null | undefined
    readonly error?: string | undefined
    readonly hint: string
  },
  lead: string
): Reply => ({
  summary: [
    `${lead} Run ${status.run}: ${status.state}, ${status.completedSegments}/${status.totalSegments} segments done.`.trim(),
    ...(status.error ? [`error: ${status.error}`] : []),
    ...(status.output ? [`output: ${status.output}`] : []),
    status.hint
  ].join("\n"),
  structured: { ...status }
})
