/**
 * A job from core's request: checked by core's validation, then stored within the owner's limits
 * and handed to the runner. Every way a job is made (`POST /v1/videos`, MCP's `generate`), retried
 * or regenerated goes through here, so the checks and the limits are one rule.
 */
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { type LongVideoRequest, Plan, Regenerate, Validation } from "@longsora/core"
import { Clock, Effect, Option, Schema } from "effect"
import { ApiError, fromValidation } from "./ApiError.ts"
import { isTerminal, type Job } from "./Job.ts"
import * as JobProgress from "./JobProgress.ts"
import { JobRunner } from "./JobRunner.ts"
import { JobStore, type LimitExceeded, type Limits } from "./JobStore.ts"
import * as VideoObject from "./VideoObject.ts"

export const newId = () => `${VideoObject.idPrefix}${randomBytes(24).toString("hex")}`

/** A job's run directory. */
export const outputDirOf = (dataDir: string, id: string) => join(dataDir, "jobs", id)

const encodePlan = Schema.encodeSync(Plan.Plan)

export interface Input {
  readonly id: string
  readonly owner: string
  /** Made in the job's run directory (`outputDirOf`). */
  readonly request: LongVideoRequest.LongVideoRequest
  /** As given (the default is filled in when the job runs). */
  readonly planModel?: string | undefined
  /** As given: `cut`, `keep`, `crossfade` or `crossfade:SECONDS`. */
  readonly transition?: string | undefined
}

/** Core's checks, all of them, and the job as it will be stored; nothing is stored or paid yet. */
export const prepare = Effect.fnUntraced(function* (input: Input) {
  const { request } = input
  const validated = yield* Validation.validate(request, { createOutputDir: false }).pipe(
    Effect.mapError(fromValidation)
  )
  const job: Job = {
    id: input.id,
    owner: input.owner,
    createdAt: Math.floor(Date.now() / 1000),
    status: "queued",
    progress: 0,
    seconds: validated.durations.reduce((sum, s) => sum + s, 0),
    size: validated.size,
    request: {
      prompt: request.prompt,
      model: request.model,
      durations: validated.durations,
      planModel: input.planModel,
      mode: request.mode,
      chain: request.chain,
      transition: input.transition,
      plan: request.plan === undefined ? undefined : encodePlan(request.plan),
      inputReference: request.inputReference
    },
    outputDir: request.outputDir,
    completedAt: null,
    error: null,
    extras: JobProgress.empty(validated.durations, validated.estimatedCostUsd),
    attempt: 0,
    recreateLost: false
  }
  return { job, validated }
})

/** The 429 for a limit that `seconds` more of video would break, saying which and what to do. */
const limitError = ({ limit, allowed, used }: LimitExceeded, seconds: number) =>
  new ApiError({
    status: 429,
    message:
      limit === "running_jobs"
        ? `Too many running jobs for this key: ${used} of ${allowed} are queued or in progress. Wait for one to finish, or ask the operator to raise the limit.`
        : `This job's ${seconds} s would pass this key's limit of ${allowed} video seconds per day (${used} s used today, UTC). Ask for fewer seconds, wait until tomorrow, or ask the operator to raise the limit.`,
    type: "rate_limit_error",
    param: null,
    code: limit === "running_jobs" ? "too_many_running_jobs" : "daily_seconds_exceeded"
  })

/** Stores the job unless it breaks the owner's limits (429, saying which), and starts or queues it. */
export const admit = Effect.fnUntraced(function* (job: Job, limits: Limits) {
  const over = yield* (yield* JobStore).create(job, limits)
  if (Option.isSome(over)) return yield* limitError(over.value, job.seconds)
  yield* (yield* JobRunner).submit(job)
})

/** What a regenerate asks for: the segment to make again, and optionally its new prompt. */
export interface RegenerateOptions {
  /** 1-based. */
  readonly segment: number
  /** A new prompt for the segment (segment 2 or later, of a run whose plan the planner wrote). */
  readonly prompt?: string | undefined
}

/** The 409 for a regenerate of a job still running. */
const stillRunningError = (id: string, status: Job["status"]) =>
  new ApiError({
    status: 409,
    message: `Video ${id} is ${status}; wait for it to finish (follow it with GET /v1/videos/${id}), then make a segment again.`,
    type: "invalid_request_error",
    param: null,
    code: "video_in_progress"
  })

/**
 * Queues a finished job to run again for the regenerate's seconds, charged to today's seconds, unless it is no
 * longer finished (another regenerate or retry got there first: 409) or that breaks the owner's limits (429, saying
 * which). `begin` readies the run (sets the segments to make aside); if it fails,
 * the charge is taken back and the job is as it was. Then the `Regenerating` event is recorded and the job started
 * or queued; `JobRunner.run` ends it with `Regenerate.finish`.
 */
const reopen = Effect.fnUntraced(function* <E, R>(
  job: Job,
  preview: Regenerate.Preview,
  limits: Limits,
  begin: Effect.Effect<unknown, E, R>
) {
  const store = yield* JobStore
  const at = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const regenerating = {
    segments: [...preview.segments],
    seconds: preview.seconds,
    estimated_cost_usd: preview.estimatedCostUsd
  }
  const reopened = {
    status: "queued" as const,
    progress: 0,
    error: null,
    completedAt: null,
    // A new attempt, as a retry is: in a cluster its `Run` is then a new message, not one already answered.
    attempt: job.attempt + 1,
    extras: { ...JobProgress.empty(job.request.durations, job.extras.estimated_cost_usd), regenerating }
  }
  const refused = yield* store.reopen(job, { seconds: preview.seconds, at }, limits, reopened)
  if (Option.isSome(refused)) {
    const refusal = refused.value
    return yield* refusal._tag === "NotFinished"
      ? stillRunningError(job.id, refusal.status)
      : limitError(refusal.exceeded, preview.seconds)
  }
  const { status, progress, error, completedAt, extras } = job
  yield* begin.pipe(Effect.onError(() => store.refund(job, at, { status, progress, error, completedAt, extras })))
  yield* store.appendEvent(
    job.id,
    JSON.stringify({
      _tag: "Regenerating",
      segments: regenerating.segments,
      seconds: preview.seconds,
      estimatedCostUsd: preview.estimatedCostUsd,
      resuming: preview.resuming
    })
  )
  const queued: Job = { ...job, ...reopened }
  yield* (yield* JobRunner).submit(queued)
  return queued
})

/**
 * Makes one segment of a finished job again (in chained last-frame/extend mode also every later one), keeping the
 * earlier clips as versions: core's `Regenerate.preview` says what and for how many seconds (its refusals as core's
 * errors: `segment` out of range, `prompt` for segment 1 or on a given plan, `outputDir` for a run not finished),
 * `confirm` may refuse that (MCP's cost confirmation), then the seconds are charged within the owner's limits
 * before any file is touched. A job still running is a 409. Every regenerate (`POST /v1/videos/{id}/regenerate`,
 * MCP's `regenerate`) goes through here.
 */
export const regenerate = Effect.fnUntraced(function* <E = never, R = never>(
  job: Job,
  options: RegenerateOptions,
  limits: Limits,
  confirm: (preview: Regenerate.Preview) => Effect.Effect<void, E, R> = () => Effect.void as Effect.Effect<void, E, R>
) {
  if (!isTerminal(job.status)) return yield* stillRunningError(job.id, job.status)
  const input: Regenerate.RegenerateRequest = {
    outputDir: job.outputDir,
    segment: options.segment,
    prompt: options.prompt,
    inputReference: job.request.inputReference ?? undefined
  }
  const preview = yield* Regenerate.preview(input)
  yield* confirm(preview)
  const queued = yield* reopen(job, preview, limits, Regenerate.begin(input).pipe(Effect.scoped))
  return { queued, preview }
})

export interface RetryOptions {
  /** Start anew a create whose answer was lost (core's `recreateLost`), for this attempt only. */
  readonly recreateLost: boolean
}

/** The 409 for a retry of a job that has not failed. */
const notFailedError = (id: string, status: Job["status"]) =>
  new ApiError({
    status: 409,
    message:
      `Video ${id} is ${status}; only a failed video can be retried.` +
      (status === "completed" ? "" : ` Follow it with GET /v1/videos/${id}.`),
    type: "invalid_request_error",
    param: null,
    code: "video_not_failed"
  })

/**
 * Runs a failed job again in its run directory, so its manifest makes the run a resume: finished
 * segments are reused, jobs in flight polled, and only a failed or gone segment is created again
 * (recorded in `replaced_jobs`). It counts as a running job within the owner's limits (429 over it); its
 * seconds were charged when it was created and are not charged again. A job not failed is a 409. Every
 * retry (`POST /v1/videos/{id}/retry`, MCP's `generate` of a failed run) goes through here.
 */
export const retry = Effect.fnUntraced(function* (job: Job, limits: Limits, options: RetryOptions) {
  const store = yield* JobStore
  const changes = {
    status: "queued" as const,
    error: null,
    completedAt: null,
    attempt: job.attempt + 1,
    recreateLost: options.recreateLost
  }
  const refused = yield* store.retry(job, limits, changes)
  if (Option.isSome(refused)) {
    const refusal = refused.value
    return yield* refusal._tag === "NotFailed"
      ? notFailedError(job.id, refusal.status)
      : limitError(refusal.exceeded, 0)
  }
  const queued: Job = { ...job, ...changes }
  yield* store.appendEvent(
    job.id,
    JSON.stringify({ _tag: "Retried", attempt: queued.attempt, recreateLost: options.recreateLost, error: job.error })
  )
  yield* (yield* JobRunner).submit(queued)
  return queued
})
