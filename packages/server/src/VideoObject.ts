/**
 * The contract's Video object for a job: every field it names, always present, `seconds` as a
 * string; LongSora's own fields under `longsora` only, so clients that know the contract see
 * nothing new.
 */
import type { Job } from "./Job.ts"

export const idPrefix = "video_"

export const of = (job: Job) => ({
  id: job.id,
  object: "video" as const,
  model: job.request.model,
  status: job.status,
  progress: job.progress,
  created_at: job.createdAt,
  completed_at: job.completedAt,
  // The joined video is kept until the job is deleted.
  expires_at: null,
  prompt: job.request.prompt,
  seconds: String(job.seconds),
  size: job.size,
  remixed_from_video_id: null,
  error: job.error,
  longsora: {
    durations: job.request.durations,
    mode: job.request.mode ?? "chained",
    // How chained segments continue one another; null for independent ones.
    chain: job.request.mode === "independent" ? null : (job.request.chain ?? "last-frame"),
    transition: job.request.transition ?? null,
    plan: job.extras.plan,
    segments: job.extras.segments,
    estimated_cost_usd: job.extras.estimated_cost_usd,
    replaced_jobs: job.extras.replaced_jobs,
    join_method: job.extras.join_method,
    // While a regenerate runs: the segments it makes again, its seconds and estimate.
    regenerating: job.extras.regenerating ?? null
  }
})

export type VideoObject = ReturnType<typeof of>
