/**
 * Video jobs and their lifecycle: `queued` → `in_progress` (progress rising) → `completed` or
 * `failed`. A job completes only when BOTH its simulated render time has passed AND the real
 * ffmpeg render finished; content expires `expiresAfterSeconds` after completion.
 */
import { mkdir, rm } from "node:fs/promises"
import { join } from "node:path"
import { badRequest, tooManyRunningTasks, videoNotFound } from "./ApiError.ts"
import { videoId } from "./Ids.ts"
import { parseSize } from "./Models.ts"
import { Renderer, type RenderOutput } from "./Renderer.ts"

export type VideoStatus = "queued" | "in_progress" | "completed" | "failed"

export interface VideoError {
  readonly code: string
  readonly message: string
}

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

export interface JobStat {
  readonly id: string
  readonly status: VideoStatus
  readonly createdAt: number
  readonly completedAt: number | null
  /** When the real ffmpeg render finished (ms epoch; waiting for a render slot included), null before. */
  readonly renderedAt: number | null
}

export interface NewJob {
  readonly key: string
  readonly model: string
  readonly prompt: string
  readonly seconds: string
  readonly size: string
  readonly referencePath: string | undefined
  readonly remixedFrom: string | null
  readonly fate: "normal" | "moderation" | "stuck"
  /** Dialect renders: the clip ends on this image, and how the reference is used (see Renderer). */
  readonly lastFramePath?: string | undefined
  readonly firstFrame?: "exact" | "conditioning" | undefined
}

export interface StoreOptions {
  readonly dataDir: string
  readonly secondsPerVideoSecond: number
  readonly fixedSeconds: number
  readonly expiresAfterSeconds: number
  readonly maxConcurrentJobsPerKey: number | undefined
  readonly maxConcurrentRenders: number
}

interface Job extends NewJob {
  readonly id: string
  readonly createdAtMs: number
  readonly simulatedMs: number
  readonly dir: string
  readonly abort: AbortController
  terminal: { status: "completed" | "failed"; atMs: number; error: VideoError | null } | undefined
  timeElapsed: boolean
  outputs: RenderOutput | undefined
  renderedAtMs: number | undefined
  renderFailure: string | undefined
  expired: boolean
  timers: Array<NodeJS.Timeout>
}

const MODERATION: VideoError = {
  code: "moderation_blocked",
  message: "Your request was blocked by our moderation system."
}
const RENDER_FAILED: VideoError = { code: "internal_error", message: "Video generation failed. Please try again." }

/** Share of the simulated time spent `queued` before `in_progress`. */
const QUEUED_SHARE = 0.2

export class VideoStore {
  private readonly jobs = new Map<string, Job>()
  /** Every job ever created, kept after delete, for `stats()`. */
  private readonly history: Array<Job> = []
  private readonly renderer: Renderer
  private readonly options: StoreOptions
  private closed = false

  constructor(options: StoreOptions) {
    this.options = options
    this.renderer = new Renderer(options.maxConcurrentRenders)
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
    const { width, height } = parseSize(input.size)
    const seconds = Number(input.seconds)
    const simulatedMs = (this.options.fixedSeconds + this.options.secondsPerVideoSecond * seconds) * 1000
    const dir = join(this.options.dataDir, "videos", id)
    await mkdir(dir, { recursive: true })
    const job: Job = {
      ...input,
      id,
      createdAtMs: Date.now(),
      simulatedMs,
      dir,
      abort: new AbortController(),
      terminal: undefined,
      timeElapsed: false,
      outputs: undefined,
      renderedAtMs: undefined,
      renderFailure: undefined,
      expired: false,
      timers: []
    }
    this.jobs.set(id, job)
    this.history.push(job)
    if (input.fate !== "stuck") {
      job.timers.push(
        setTimeout(() => {
          job.timeElapsed = true
          this.settle(job)
        }, simulatedMs)
      )
      if (input.fate === "normal") {
        this.renderer
          .render(
            {
              id,
              prompt: input.prompt,
              seconds,
              width,
              height,
              referencePath: input.referencePath,
              dir,
              lastFramePath: input.lastFramePath,
              firstFrame: input.firstFrame
            },
            job.abort.signal
          )
          .then(
            (outputs) => {
              job.outputs = outputs
              job.renderedAtMs = Date.now()
              this.settle(job)
            },
            (e: unknown) => {
              job.renderFailure = e instanceof Error ? e.message : String(e)
              if (!job.abort.signal.aborted) console.error(`[emulator] render of ${id} failed: ${job.renderFailure}`)
              this.settle(job)
            }
          )
      }
    }
    return this.toObject(job)
  }

  private settle(job: Job): void {
    if (job.terminal || this.closed || !this.jobs.has(job.id)) return
    if (!job.timeElapsed) return
    if (job.fate === "moderation") this.finish(job, "failed", MODERATION)
    else if (job.renderFailure !== undefined) this.finish(job, "failed", RENDER_FAILED)
    else if (job.outputs) this.finish(job, "completed", null)
  }

  private finish(job: Job, status: "completed" | "failed", error: VideoError | null): void {
    const atMs = Date.now()
    job.terminal = { status, atMs, error }
    if (status === "completed") {
      const timer = setTimeout(() => {
        job.expired = true
        void rm(job.dir, { recursive: true, force: true })
      }, this.expiresAtMs(job) - atMs)
      timer.unref()
      job.timers.push(timer)
    }
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

  /** Media path for a completed, unexpired job; 404 otherwise, as the real API does. */
  content(id: string, variant: "video" | "thumbnail" | "spritesheet"): string | "not-ready" | "expired" {
    const job = this.get(id)
    if (job.terminal?.status !== "completed" || !job.outputs) return "not-ready"
    if (job.expired || Date.now() >= this.expiresAtMs(job)) return "expired"
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
    await rm(job.dir, { recursive: true, force: true })
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
    return this.history.map((job) => {
      const v = this.toObject(job)
      return {
        id: job.id,
        status: v.status,
        createdAt: job.createdAtMs,
        completedAt: job.terminal?.atMs ?? null,
        renderedAt: job.renderedAtMs ?? null
      }
    })
  }

  private toObject(job: Job): VideoObject {
    const now = Date.now()
    let status: VideoStatus
    let progress: number
    if (job.terminal) {
      status = job.terminal.status
      progress = status === "completed" ? 100 : 0
    } else {
      const elapsed = now - job.createdAtMs
      const queued = job.fate === "stuck" || elapsed < job.simulatedMs * QUEUED_SHARE
      status = queued ? "queued" : "in_progress"
      progress = queued ? 0 : Math.max(1, Math.min(99, Math.floor((elapsed / Math.max(1, job.simulatedMs)) * 100)))
    }
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

  close(): void {
    this.closed = true
    for (const job of this.history) {
      job.abort.abort()
      for (const t of job.timers) clearTimeout(t)
    }
  }
}
