/**
 * Video jobs and their lifecycle: `queued` → `in_progress` (progress rising) → `completed` or
 * `failed`. A job completes only when BOTH its simulated render time has passed AND the real
 * ffmpeg render finished; content expires `expiresAfterSeconds` after completion.
 *
 * Every job lives in `<dataDir>/videos/<id>/` with its record (JobRecords.ts), its saved reference
 * and its media, so `load()` on a restart picks up where the last process stopped: completed jobs
 * serve until they expire, running ones continue their simulated time from `created_at` (the real
 * render is redone if its output is missing), failed ones stay failed, deleted ones stay gone.
 */
import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { badRequest, tooManyRunningTasks, videoNotFound } from "./ApiError.ts"
import { videoId } from "./Ids.ts"
import {
  type Fate,
  type JobRecord,
  type JobStat,
  lifecycleAt,
  RECORD_FILE,
  readRecords,
  statOf,
  type Terminal,
  type VideoError,
  type VideoStatus,
  videosDir,
  writeRecord
} from "./JobRecords.ts"
import { parseSize } from "./Models.ts"
import { type ClipEnding, Renderer, type RenderOutput, renderOutputs } from "./Renderer.ts"

export type { JobStat, VideoError, VideoStatus } from "./JobRecords.ts"

/** The wire shape of `VideoResource`. */
export interface VideoObject {
  readonly id: string
  readonly object: "video"
  readonly model: string
  readonly status: VideoStatus
  readonly progress: number
  readonly created_at: number
  readonly completed_at: number | null
  readonly expires_at: number | null
  readonly prompt: string | null
  readonly seconds: string
  readonly size: string
  readonly remixed_from_video_id: string | null
  readonly error: VideoError | null
}

/** A reference image for a new job: a request's own temp file (moved into the job) or a shared one (copied). */
export interface NewReference {
  readonly path: string
  readonly transient: boolean
}

export interface NewJob {
  readonly key: string
  readonly model: string
  readonly prompt: string
  readonly seconds: string
  readonly size: string
  readonly reference: NewReference | undefined
  readonly remixedFrom: string | null
  readonly fate: Fate
  /** Dialect renders: the clip ends on this image, and how the reference is used (see Renderer). */
  readonly lastFrame?: NewReference | undefined
  readonly firstFrame?: "exact" | "conditioning" | undefined
  /** An extension of a completed video: its file (copied into the job), id, length and extension count. */
  readonly extension?:
    | { readonly sourceId: string; readonly video: string; readonly seconds: string; readonly count: number }
    | undefined
  /** A flawed ending asked for by a fault (see `Renderer.ClipEnding`). */
  readonly ending?: ClipEnding | undefined
}

/** What an extension needs of its source video. */
export interface ExtensionSource {
  readonly model: string
  readonly size: string
  readonly seconds: string
  readonly video: string
  /** How many extensions the source already is (0 for a created video). */
  readonly extensions: number
}

export interface StoreOptions {
  readonly dataDir: string
  readonly secondsPerVideoSecond: number
  readonly fixedSeconds: number
  /** Constant video bitrate of every render (bits/s); `undefined`: constant quality. */
  readonly videoBitrate?: number | undefined
  readonly expiresAfterSeconds: number
  readonly maxConcurrentJobsPerKey: number | undefined
  readonly maxConcurrentRenders: number
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

interface Job extends Mutable<JobRecord> {
  readonly dir: string
  readonly abort: AbortController
  timeElapsed: boolean
  outputs: RenderOutput | undefined
  expired: boolean
  timers: Array<NodeJS.Timeout>
  /** The chain of record writes: each writes the state current when it runs, in order. */
  saving: Promise<void>
}

const MODERATION: VideoError = {
  code: "moderation_blocked",
  message: "Your request was blocked by our moderation system."
}
const RENDER_FAILED: VideoError = { code: "internal_error", message: "Video generation failed. Please try again." }
const REFERENCE_FILE = "reference"
const LAST_FRAME_FILE = "last-frame"
const EXTENDED_FILE = "extended.mp4"
const MAX_TIMER_MS = 2 ** 31 - 1

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false
  )

export class VideoStore {
  private readonly jobs = new Map<string, Job>()
  /** Every job this data directory ever had (deleted ones and earlier processes' included), for `stats()`. */
  private readonly history: Array<Job> = []
  private readonly renderer: Renderer
  private readonly options: StoreOptions
  private closed = false

  constructor(options: StoreOptions) {
    this.options = options
    this.renderer = new Renderer(options.maxConcurrentRenders)
  }

  /** Picks up the jobs an earlier process left in the data directory. */
  async load(): Promise<void> {
    for (const record of await readRecords(this.options.dataDir)) {
      const job = this.toJob(record)
      this.history.push(job)
      if (record.deleted) continue
      this.jobs.set(job.id, job)
      await this.resume(job)
    }
  }

  private async resume(job: Job): Promise<void> {
    await removeStaleParts(job.dir)
    if (job.terminal?.status === "completed" && Date.now() >= this.expiresAtMs(job)) {
      await this.expire(job)
      return
    }
    const outputs = renderOutputs(job.dir)
    if (await exists(outputs.video)) {
      job.outputs = outputs
      // Rendered, but the process died before recording it: the file's time is the render's end.
      job.renderedAtMs ??= (await stat(outputs.video)).mtimeMs
    }
    if (job.terminal?.status === "completed") {
      this.scheduleExpiry(job)
      // Media lost while the record says completed: render again; content is "not ready" meanwhile.
      if (!job.outputs) this.startRender(job)
      return
    }
    if (job.terminal) return
    // A render that failed in the dead process is tried again, like any unfinished one.
    job.renderFailure = null
    this.startLifecycle(job)
  }

  /** 429 "Too many running tasks" when the key is at its limit (we reject rather than queue). */
  checkCapacity(key: string): void {
    const limit = this.options.maxConcurrentJobsPerKey
    if (limit === undefined) return
    let running = 0
    for (const job of this.jobs.values()) if (job.key === key && !job.terminal) running++
    if (running >= limit) throw tooManyRunningTasks()
  }

  async create(input: NewJob): Promise<VideoObject> {
    const id = videoId()
    const seconds = Number(input.seconds)
    const dir = join(videosDir(this.options.dataDir), id)
    await mkdir(dir, { recursive: true })
    for (const [image, name] of [
      [input.reference, REFERENCE_FILE],
      [input.lastFrame, LAST_FRAME_FILE]
    ] as const) {
      if (image) await (image.transient ? rename : copyFile)(image.path, join(dir, name))
    }
    // The source is copied: the extension renders (and re-renders after a restart) whatever becomes of it.
    if (input.extension) await copyFile(input.extension.video, join(dir, EXTENDED_FILE))
    const extension = input.extension && {
      sourceId: input.extension.sourceId,
      file: EXTENDED_FILE,
      seconds: input.extension.seconds,
      count: input.extension.count
    }
    // An extension renders (and is simulated for) only its new part.
    const rendered = seconds - Number(extension?.seconds ?? 0)
    const job = this.toJob({
      version: 1,
      id,
      key: input.key,
      model: input.model,
      prompt: input.prompt,
      seconds: input.seconds,
      size: input.size,
      remixedFrom: input.remixedFrom,
      fate: input.fate,
      reference: input.reference ? REFERENCE_FILE : null,
      lastFrame: input.lastFrame ? LAST_FRAME_FILE : null,
      firstFrame: input.firstFrame ?? "exact",
      extension: extension ?? null,
      ...(input.ending ? { ending: input.ending } : {}),
      createdAtMs: Date.now(),
      simulatedMs: (this.options.fixedSeconds + this.options.secondsPerVideoSecond * rendered) * 1000,
      terminal: null,
      renderedAtMs: null,
      renderFailure: null,
      deleted: false
    })
    // Recorded before it is answered: a job the client heard of always survives a crash.
    await this.save(job)
    this.jobs.set(id, job)
    this.history.push(job)
    this.startLifecycle(job)
    return this.toObject(job)
  }

  private toJob(record: JobRecord): Job {
    return {
      ...record,
      dir: join(videosDir(this.options.dataDir), record.id),
      abort: new AbortController(),
      timeElapsed: false,
      outputs: undefined,
      expired: false,
      timers: [],
      saving: Promise.resolve()
    }
  }

  private record(job: Job): JobRecord {
    return {
      version: 1,
      id: job.id,
      key: job.key,
      model: job.model,
      prompt: job.prompt,
      seconds: job.seconds,
      size: job.size,
      remixedFrom: job.remixedFrom,
      fate: job.fate,
      reference: job.reference,
      lastFrame: job.lastFrame ?? null,
      firstFrame: job.firstFrame ?? "exact",
      extension: job.extension ?? null,
      ...(job.ending ? { ending: job.ending } : {}),
      createdAtMs: job.createdAtMs,
      simulatedMs: job.simulatedMs,
      terminal: job.terminal,
      renderedAtMs: job.renderedAtMs,
      renderFailure: job.renderFailure,
      deleted: job.deleted
    }
  }

  /** Queues a write of the job's current state; the returned promise settles when it is on disk. */
  private save(job: Job): Promise<void> {
    job.saving = job.saving
      .then(() => writeRecord(job.dir, this.record(job)))
      .catch((e: unknown) => console.error(`[emulator] could not record ${job.id}: ${String(e)}`))
    return job.saving
  }

  /** Simulated time (counted from `created_at`, so a restart continues it) and, if needed, the render. */
  private startLifecycle(job: Job): void {
    if (job.fate === "stuck") return
    job.timers.push(
      setTimeout(
        () => {
          job.timeElapsed = true
          this.settle(job)
        },
        Math.max(0, job.createdAtMs + job.simulatedMs - Date.now())
      )
    )
    if (job.fate === "normal" && !job.outputs) this.startRender(job)
  }

  private startRender(job: Job): void {
    const { width, height } = parseSize(job.size)
    const inDir = (name: string | null | undefined) => (name ? join(job.dir, name) : undefined)
    const extension = job.extension
    this.renderer
      .render(
        {
          id: job.id,
          prompt: job.prompt,
          seconds: Number(job.seconds) - Number(extension?.seconds ?? 0),
          extension: extension
            ? { video: join(job.dir, extension.file), sourceSeconds: Number(extension.seconds) }
            : undefined,
          width,
          height,
          referencePath: inDir(job.reference),
          lastFramePath: inDir(job.lastFrame),
          firstFrame: job.firstFrame ?? "exact",
          ending: job.ending,
          videoBitrate: this.options.videoBitrate,
          dir: job.dir
        },
        job.abort.signal
      )
      .then(
        (outputs) => {
          job.outputs = outputs
          job.renderedAtMs = Date.now()
          void this.save(job)
          this.settle(job)
        },
        (e: unknown) => {
          if (job.abort.signal.aborted) return
          job.renderFailure = e instanceof Error ? e.message : String(e)
          console.error(`[emulator] render of ${job.id} failed: ${job.renderFailure}`)
          this.settle(job)
        }
      )
  }

  private settle(job: Job): void {
    if (job.terminal || this.closed || !this.jobs.has(job.id)) return
    if (!job.timeElapsed) return
    if (job.fate === "moderation") this.finish(job, "failed", MODERATION)
    else if (job.renderFailure !== null) this.finish(job, "failed", RENDER_FAILED)
    else if (job.outputs) this.finish(job, "completed", null)
  }

  private finish(job: Job, status: Terminal["status"], error: VideoError | null): void {
    job.terminal = { status, atMs: Date.now(), error }
    void this.save(job)
    if (status === "completed") this.scheduleExpiry(job)
  }

  private scheduleExpiry(job: Job): void {
    const delay = Math.max(0, this.expiresAtMs(job) - Date.now())
    // Beyond setTimeout's range (~24.8 days) `content()` still refuses expired content by the clock.
    if (delay > MAX_TIMER_MS) return
    const timer = setTimeout(() => void this.expire(job), delay)
    timer.unref()
    job.timers.push(timer)
  }

  /** Content is gone after expiry; the record stays, so the job still answers (and counts). */
  private expire(job: Job): Promise<void> {
    job.expired = true
    job.outputs = undefined
    return removeAllBut(job.dir, RECORD_FILE)
  }

  private expiresAtMs(job: Job): number {
    return (job.terminal?.atMs ?? 0) + this.options.expiresAfterSeconds * 1000
  }

  private get(id: string): Job {
    const job = this.jobs.get(id)
    if (!job) throw videoNotFound(id)
    return job
  }

  retrieve(id: string): VideoObject {
    return this.toObject(this.get(id))
  }

  /**
   * Milliseconds until a running job's simulated time is up: 0 once it is (or the job is terminal),
   * undefined when it never will be (`stuck`).
   */
  remainingMs(id: string): number | undefined {
    const job = this.get(id)
    if (job.terminal) return 0
    if (job.fate === "stuck") return undefined
    return Math.max(0, job.createdAtMs + job.simulatedMs - Date.now())
  }

  /** Media path for a completed, unexpired job; 404 otherwise, as the real API does. */
  content(id: string, variant: "video" | "thumbnail" | "spritesheet"): string | "not-ready" | "expired" {
    const job = this.get(id)
    if (job.terminal?.status !== "completed") return "not-ready"
    if (job.expired || Date.now() >= this.expiresAtMs(job)) return "expired"
    if (!job.outputs) return "not-ready"
    return job.outputs[variant]
  }

  /** Reference frame for a remix: the source must be completed. */
  requireCompleted(id: string): VideoObject {
    const job = this.get(id)
    if (job.terminal?.status !== "completed") {
      throw badRequest(
        `Video '${id}' is not completed; only completed videos can be remixed.`,
        "video_id",
        "invalid_value"
      )
    }
    return this.toObject(job)
  }

  /** The source of an extension: a completed video whose content is still there. */
  extensionSource(id: string): ExtensionSource {
    const job = this.get(id)
    const video = this.content(id, "video")
    if (job.terminal?.status !== "completed" || video === "not-ready" || video === "expired") {
      throw badRequest(
        `Video '${id}' is not ${video === "expired" ? "available any more" : "completed"}; only completed videos can be extended.`,
        "video",
        "invalid_value"
      )
    }
    return { model: job.model, size: job.size, seconds: job.seconds, video, extensions: job.extension?.count ?? 0 }
  }

  async delete(id: string): Promise<{ id: string; object: "video.deleted"; deleted: true }> {
    const job = this.get(id)
    if (!job.terminal) {
      throw badRequest(
        `Video '${id}' is still being generated; only completed or failed videos can be deleted.`,
        "video_id",
        "invalid_value"
      )
    }
    this.jobs.delete(id)
    for (const t of job.timers) clearTimeout(t)
    job.deleted = true
    job.outputs = undefined
    await this.save(job)
    await removeAllBut(job.dir, RECORD_FILE)
    return { id, object: "video.deleted", deleted: true }
  }

  list(params: { after: string | undefined; limit: number; order: "asc" | "desc" }) {
    const all = [...this.jobs.values()]
    if (params.order === "desc") all.reverse()
    let start = 0
    if (params.after !== undefined) {
      const i = all.findIndex((j) => j.id === params.after)
      if (i < 0) throw badRequest(`Invalid 'after': no video with id '${params.after}'.`, "after", "invalid_value")
      start = i + 1
    }
    const page = all.slice(start, start + params.limit).map((j) => this.toObject(j))
    return {
      object: "list" as const,
      data: page,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
      has_more: start + params.limit < all.length
    }
  }

  stats(): Array<JobStat> {
    const now = Date.now()
    return this.history.map((job) => statOf(job, now))
  }

  /** Jobs this data directory has ever had: this process's creates plus every earlier one's. */
  totalCreates(): number {
    return this.history.length
  }

  private toObject(job: Job): VideoObject {
    const { status, progress } = lifecycleAt(job, Date.now())
    const completedAt = job.terminal?.status === "completed" ? Math.floor(job.terminal.atMs / 1000) : null
    return {
      id: job.id,
      object: "video",
      model: job.model,
      status,
      progress,
      created_at: Math.floor(job.createdAtMs / 1000),
      completed_at: completedAt,
      expires_at: completedAt === null ? null : completedAt + this.options.expiresAfterSeconds,
      prompt: job.prompt,
      seconds: job.seconds,
      size: job.size,
      remixed_from_video_id: job.remixedFrom,
      error: job.terminal?.error ?? null
    }
  }

  /** Stops timers and renders, and waits for pending record writes. */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.history) {
      job.abort.abort()
      for (const t of job.timers) clearTimeout(t)
    }
    await Promise.all(this.history.map((job) => job.saving))
  }
}

/** Empties a job directory except `keep` (the record). */
const removeAllBut = async (dir: string, keep: string): Promise<void> => {
  const names = await readdir(dir).catch(() => [])
  await Promise.all(names.filter((n) => n !== keep).map((n) => rm(join(dir, n), { recursive: true, force: true })))
}

/** Half-written render outputs and records of a killed process (its ffmpeg may even still write them). */
const removeStaleParts = async (dir: string): Promise<void> => {
  const names = await readdir(dir).catch(() => [])
  await Promise.all(
    names.filter((n) => n.endsWith(".part") || n.endsWith(".tmp")).map((n) => rm(join(dir, n), { force: true }))
  )
}
