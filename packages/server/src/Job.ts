/** A long-video job as the server keeps it: what was asked, by whom, where it runs, how far it is. */
import type { LongVideoRequest } from "@longsora/core"

export type Status = "queued" | "in_progress" | "completed" | "failed"

export const isTerminal = (status: Status): boolean => status === "completed" || status === "failed"

/** The create request as accepted, in core's terms; replayed as it is when the job resumes. */
export interface JobRequest {
  readonly prompt: string
  readonly model: string
  readonly durations: ReadonlyArray<number>
  readonly size?: string | undefined
  readonly planModel?: string | undefined
  readonly mode?: "chained" | "independent" | undefined
  /** How chained segments continue one another; absent in jobs stored before it existed (last-frame). */
  readonly chain?: LongVideoRequest.ChainStrategy | undefined
  /** `cut`, `keep`, `crossfade` or `crossfade:SECONDS`. */
  readonly transition?: string | undefined
  /** A given plan, encoded (core's `Plan` as JSON). */
  readonly plan?: unknown
  /** The uploaded or linked first frame, stored under the server's data directory. */
  readonly inputReference?: string | undefined
}

/** One segment as the API shows it. */
export interface SegmentState {
  readonly segment: number
  /** `pending`, `queued`, `in_progress`, `completed`, `failed`, … (the provider's job status). */
  readonly state: string
  readonly job_id: string | null
  readonly seconds: number
  readonly cost_usd: number
}

export interface ReplacedJob {
  readonly segment: number
  readonly job_id: string
  readonly reason: "failed" | "gone"
  readonly seconds: number
}

/** What a regenerate of the job makes again, while it runs (and after it failed, until a retry finishes it). */
export interface Regenerating {
  readonly segments: ReadonlyArray<number>
  /** The seconds charged for it (what it has still to make). */
  readonly seconds: number
  readonly estimated_cost_usd: number
}

/** LongSora's own fields of a Video object, all under `longsora`. */
export interface Extras {
  /** The plan (core's `Plan` encoded) once there is one. */
  readonly plan: unknown
  readonly segments: ReadonlyArray<SegmentState>
  readonly estimated_cost_usd: number
  readonly replaced_jobs: ReadonlyArray<ReplacedJob>
  readonly join_method: string | null
  /** Absent in jobs stored before regenerates had it, and null once a regenerate has completed. */
  readonly regenerating?: Regenerating | null | undefined
}

export interface JobError {
  readonly code: string
  readonly message: string
}

export interface Job {
  readonly id: string
  /** The API key's id that created it (`local` when the server runs without keys). */
  readonly owner: string
  /** Unix seconds. */
  readonly createdAt: number
  readonly status: Status
  readonly progress: number
  readonly seconds: number
  readonly size: string
  readonly request: JobRequest
  /** The job's run directory: its manifest, clips and `output.mp4`. */
  readonly outputDir: string
  readonly completedAt: number | null
  readonly error: JobError | null
  readonly extras: Extras
  /** How many times the job was retried after failing (0: its first run); each retry is a new run of it. */
  readonly attempt: number
  /**
   * This attempt may start anew a create whose answer was lost (core's `recreateLost`): set by a retry
   * that asked for it, cleared when the attempt ends, so a later lost create is never recreated unasked.
   */
  readonly recreateLost: boolean
}

export type JobUpdate = Partial<
  Pick<Job, "status" | "progress" | "completedAt" | "error" | "extras" | "attempt" | "recreateLost">
>
