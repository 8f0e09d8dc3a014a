/**
 * Runs as the server finds them on disk: one directory per run under the runs directory, named by
 * the run, with core's manifest in `.longsora/manifest.json`. Everything here is read from disk, so
 * a run started by an earlier server process (or by `longsora generate`) is found the same way.
 */
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import { Errors, Manifest } from "@longsora/core"
import { Effect, FileSystem, Option, Path } from "effect"
import type * as LiveRuns from "./LiveRuns.ts"

export type RunState = "running" | "running-elsewhere" | "completed" | "failed" | "stopped"

export interface SegmentStatus {
  readonly segment: number
  readonly seconds: number
  /** `pending`: not created yet; `submitted`: rendering at the provider. */
  readonly state: "pending" | "submitting" | "submitted" | "completed" | "failed"
  readonly jobId?: string
  /** The provider's progress while rendering (live runs only). */
  readonly percent?: number
  readonly prompt?: string
}

export interface RunStatus {
  readonly run: string
  readonly outputDir: string
  readonly state: RunState
  readonly completedSegments: number
  readonly totalSegments: number
  readonly segments: ReadonlyArray<SegmentStatus>
  readonly output: string | null
  /** For a run this process finished: seconds of every job paid for over the run's life, and their cost. */
  readonly billed?: { readonly seconds: number; readonly estimatedCostUsd: number }
  readonly error?: string
  /** The recorded request, to resume it with generate. */
  readonly request?: Omit<Manifest.RequestFingerprint, "inputReference">
  /** What to do next. */
  readonly hint: string
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "")

/**
 * The default name of a run: the prompt's words and a hash of the whole request, so the same
 * request lands in the same directory (and resumes there) and a different one never does.
 */
export const defaultName = (prompt: string, request: unknown): string => {
  const hash = createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 8)
  const words = slug(prompt)
  return words === "" ? `run-${hash}` : `${words}-${hash}`
}

export const directoryOf = Effect.fnUntraced(function* (runsDir: string, name: string) {
  const path = yield* Path.Path
  return path.resolve(runsDir, name)
})

/** The process holding the run's lock, when it is alive on this host (a dead holder's lock is debris). */
const lockHolder = Effect.fnUntraced(function* (outputDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const text = yield* fs.readFileString(path.join(outputDir, Manifest.directoryName, "lock")).pipe(Effect.option)
  if (Option.isNone(text)) return undefined
  try {
    const holder = JSON.parse(text.value) as { pid?: unknown; host?: unknown }
    if (typeof holder.pid !== "number" || holder.host !== hostname()) return undefined
    process.kill(holder.pid, 0)
    return holder.pid
  } catch {
    return undefined
  }
})

const stateOf = (
  manifest: Manifest.Manifest,
  live: LiveRuns.LiveRun | undefined,
  holder: number | undefined
): RunState => {
  if (live?.state === "running") return "running"
  if (manifest.output !== null && live?.state !== "failed") return "completed"
  if (holder !== undefined && holder !== process.pid) return "running-elsewhere"
  if (live?.state === "failed" || manifest.segments.some((s) => s.state === "failed")) return "failed"
  return "stopped"
}

const hints: Record<RunState, string> = {
  running: "Call status with watch: true (and a progressToken) to follow it; it keeps going if you do not.",
  "running-elsewhere": "Another process is making this run; status shows its progress from the manifest.",
  completed: "Done: call inspect to check the seams and see the contact sheet; the video is the output file.",
  failed:
    "Fix what the error says, then call generate with the same request and run name: finished segments are not paid again.",
  stopped:
    "The run stopped before it finished (the server ended or it was interrupted). Call generate with the same request and run name to resume it: finished segments are not paid again."
}

const segmentsOf = (manifest: Manifest.Manifest, live: LiveRuns.LiveRun | undefined): Array<SegmentStatus> =>
  manifest.request.durations.map((seconds, i) => {
    const segment = i + 1
    const record = Manifest.segmentRecord(manifest, segment)
    const prompt = manifest.plan?.segments[i]?.prompt
    const percent = record?.state === "submitted" ? live?.percent.get(segment) : undefined
    return {
      segment,
      seconds,
      state: record?.state ?? "pending",
      ...(record?.jobId ? { jobId: record.jobId } : {}),
      ...(percent === undefined ? {} : { percent }),
      ...(prompt ? { prompt } : {})
    }
  })

export const unknownRun = (name: string, runsDir: string) =>
  new Errors.InvalidRequest({
    field: "run",
    given: name,
    allowed: `a run under ${runsDir} (see the longsora://runs resource, or status without run)`,
    fix: "Start it with generate, or pick an existing run's name."
  })

/** A run's status from its manifest, with the live figures of a run this process is making. */
export const status = Effect.fnUntraced(function* (runsDir: string, name: string, live: LiveRuns.LiveRun | undefined) {
  const outputDir = yield* directoryOf(runsDir, name)
  const manifest = yield* Manifest.read(outputDir)
  if (Option.isNone(manifest)) {
    if (live === undefined) return yield* unknownRun(name, runsDir)
    // Started here, before core has written its manifest.
    const starting: RunStatus = {
      run: name,
      outputDir,
      state: live.state === "running" ? "running" : "failed",
      completedSegments: 0,
      totalSegments: 0,
      segments: [],
      output: null,
      ...(live.error ? { error: live.error } : {}),
      hint: hints.running
    }
    return starting
  }
  const holder = yield* lockHolder(outputDir)
  const state = stateOf(manifest.value, live, holder)
  const segments = segmentsOf(manifest.value, live)
  const { inputReference: _, ...request } = manifest.value.request
  const error = live?.state === "failed" ? live.error : undefined
  const result: RunStatus = {
    run: name,
    outputDir,
    state,
    completedSegments: segments.filter((s) => s.state === "completed").length,
    totalSegments: segments.length,
    segments,
    output: state === "completed" ? manifest.value.output : null,
    ...(live?.result
      ? { billed: { seconds: live.result.secondsBilled, estimatedCostUsd: live.result.estimatedCostUsd } }
      : {}),
    ...(error ? { error } : {}),
    request,
    hint: hints[state]
  }
  return result
})

export interface RunEntry {
  readonly run: string
  readonly modifiedAt: number
}

/** The runs under `runsDir`, most recently changed first. */
export const list = Effect.fnUntraced(function* (runsDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const names = yield* fs.readDirectory(runsDir).pipe(Effect.orElseSucceed(() => []))
  const entries = yield* Effect.forEach(names, (name) =>
    fs.stat(path.join(runsDir, name, Manifest.directoryName, Manifest.fileName)).pipe(
      Effect.map((info) => [{ run: name, modifiedAt: Option.getOrElse(info.mtime, () => new Date(0)).getTime() }]),
      Effect.orElseSucceed((): Array<RunEntry> => [])
    )
  )
  return entries.flat().sort((a, b) => b.modifiedAt - a.modifiedAt)
})
