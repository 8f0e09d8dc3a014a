/**
 * The durable side of video jobs: one `videos/<id>/job.json` per job in the data directory,
 * rewritten atomically (temp file + rename) at every state change, so an emulator restarted on the
 * same directory — or a `longsora --offline` rerun after a crash — finds its jobs again. A deleted
 * job keeps its record (marked `deleted`) so the directory also counts every create ever made.
 * Writes are atomic against a killed process, not fsynced against power loss.
 */
import { randomBytes } from "node:crypto"
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { ClipEnding } from "./Renderer.ts"

export type VideoStatus = "queued" | "in_progress" | "completed" | "failed"

export interface VideoError {
  readonly code: string
  readonly message: string
}

/** What happens to a job: renders normally, ends failed by moderation, or never leaves `queued`. */
export type Fate = "normal" | "moderation" | "stuck"

export interface Terminal {
  readonly status: "completed" | "failed"
  /** ms epoch at which the job became completed/failed. */
  readonly atMs: number
  readonly error: VideoError | null
}

/** Everything needed to answer for a job, and to redo its render, after a restart. */
export interface JobRecord {
  readonly version: 1
  readonly id: string
  readonly key: string
  readonly model: string
  readonly prompt: string
  readonly seconds: string
  readonly size: string
  readonly remixedFrom: string | null
  readonly fate: Fate
  /** File name of the saved `input_reference` inside the job's directory. */
  readonly reference: string | null
  /** File name of the image the clip ends on (dialects' last frame); absent in older records. */
  readonly lastFrame?: string | null
  /** Whether the reference is the exact first frame or only conditions it; absent in older records. */
  readonly firstFrame?: "exact" | "conditioning"
  /**
   * An extension (`/v1/videos/extensions`): the source video (copied into the job's directory as
   * `extended`), its length, and how many extensions the result counts. `seconds` is the total.
   */
  readonly extension?: {
    readonly sourceId: string
    readonly file: string
    readonly seconds: string
    readonly count: number
  } | null
  /** A flawed ending asked for by a fault; absent for a normal clip. */
  readonly ending?: ClipEnding
  readonly createdAtMs: number
  /** Simulated render time, fixed at create. */
  readonly simulatedMs: number
  readonly terminal: Terminal | null
  readonly renderedAtMs: number | null
  readonly renderFailure: string | null
  readonly deleted: boolean
}

/** One job as `stats()` reports it. */
export interface JobStat {
  readonly id: string
  readonly status: VideoStatus
  readonly createdAt: number
  readonly completedAt: number | null
  /** When the real ffmpeg render finished (ms epoch; waiting for a render slot included), null before. */
  readonly renderedAt: number | null
}

/** Share of the simulated time spent `queued` before `in_progress`. */
const QUEUED_SHARE = 0.2

/** Status and progress of a job at `now`: the one lifecycle rule, for the API and for offline reads. */
export const lifecycleAt = (
  job: Pick<JobRecord, "terminal" | "fate" | "createdAtMs" | "simulatedMs">,
  now: number
): { readonly status: VideoStatus; readonly progress: number } => {
  if (job.terminal) return { status: job.terminal.status, progress: job.terminal.status === "completed" ? 100 : 0 }
  const elapsed = now - job.createdAtMs
  if (job.fate === "stuck" || elapsed < job.simulatedMs * QUEUED_SHARE) return { status: "queued", progress: 0 }
  const share = elapsed / Math.max(1, job.simulatedMs)
  return { status: "in_progress", progress: Math.max(1, Math.min(99, Math.floor(share * 100))) }
}

export const RECORD_FILE = "job.json"

export const videosDir = (dataDir: string): string => join(dataDir, "videos")

/** Replaces `dir/job.json` in one rename, so a reader (or a restart) never sees half a record. */
export const writeRecord = async (dir: string, record: JobRecord): Promise<void> => {
  const temp = join(dir, `.${RECORD_FILE}.${randomBytes(4).toString("hex")}.tmp`)
  try {
    await writeFile(temp, JSON.stringify(record))
    await rename(temp, join(dir, RECORD_FILE))
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
}

const isRecord = (value: unknown, id: string): value is JobRecord => {
  if (typeof value !== "object" || value === null) return false
  const r = value as Record<string, unknown>
  return (
    r.version === 1 &&
    r.id === id &&
    typeof r.createdAtMs === "number" &&
    typeof r.simulatedMs === "number" &&
    typeof r.prompt === "string" &&
    typeof r.seconds === "string" &&
    typeof r.size === "string"
  )
}

/** Every readable record in the data directory, oldest first; unreadable ones are reported and skipped. */
export const readRecords = async (dataDir: string): Promise<Array<JobRecord>> => {
  const root = videosDir(dataDir)
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  const records: Array<JobRecord> = []
  for (const entry of entries) {
    if (!entry.isDirectory()) continue
    const text = await readFile(join(root, entry.name, RECORD_FILE), "utf8").catch(() => undefined)
    // A directory without a record: the process died between mkdir and the first write, before
    // the create was answered or counted.
    if (text === undefined) continue
    try {
      const parsed: unknown = JSON.parse(text)
      if (isRecord(parsed, entry.name)) records.push(parsed)
      else console.error(`[emulator] ignoring ${join(root, entry.name, RECORD_FILE)}: not a job record`)
    } catch {
      console.error(`[emulator] ignoring ${join(root, entry.name, RECORD_FILE)}: not valid JSON`)
    }
  }
  return records.sort((a, b) => a.createdAtMs - b.createdAtMs)
}

export const statOf = (record: JobRecord, now: number): JobStat => ({
  id: record.id,
  status: lifecycleAt(record, now).status,
  createdAt: record.createdAtMs,
  completedAt: record.terminal?.atMs ?? null,
  renderedAt: record.renderedAtMs
})

/** What a data directory has recorded, across every emulator process that used it. */
export interface DataDirStats {
  /** Jobs ever created in this directory (deleted ones included): the cumulative create count. */
  readonly creates: number
  /** Every job, oldest first, deleted ones included. */
  readonly jobs: ReadonlyArray<JobStat>
  /** Images ever made in this directory (Gemini image models and fal image apps): each one a billed image. */
  readonly images: number
}

/** Where the image dialects keep every image they made (one file each, so they can be counted later). */
export const imagesDir = (dataDir: string): string => join(dataDir, "images")

/** Reads a data directory's counts without starting a server (e.g. after a killed `--offline` run). */
export const readDataDir = async (dataDir: string): Promise<DataDirStats> => {
  const records = await readRecords(dataDir)
  const now = Date.now()
  const images = await readdir(imagesDir(dataDir)).catch(() => [])
  return { creates: records.length, jobs: records.map((r) => statOf(r, now)), images: images.length }
}
