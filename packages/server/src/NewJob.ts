/**
 * A job from core's request: checked by core's validation, then stored within the owner's limits
 * and handed to the runner. Every way a job is made (`POST /v1/videos`, MCP's `generate`) goes
 * through here, so the checks and the limits are one rule.
 */
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { type LongVideoRequest, Plan, Validation } from "@longsora/core"
import { Clock, Effect, Option, Schema } from "effect"
import { ApiError, fromValidation } from "./ApiError.ts"
import type { Job } from "./Job.ts"
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

/**
 * Queues a finished job to run again for `seconds` more of video (a regenerate), charged to today's seconds,
 * unless that breaks the owner's limits (429, saying which). `prepare` readies the run (sets the segments to make
 * aside); if it fails, the charge is taken back and the job is as it was. Then the job is started or queued.
 */
export const reopen = Effect.fnUntraced(function* <E, R>(
  job: Job,
  seconds: number,
  limits: Limits,
  prepare: Effect.Effect<void, E, R>
) {
  const store = yield* JobStore
  const at = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const reopened = {
    status: "queued" as const,
    progress: 0,
    error: null,
    completedAt: null,
    extras: JobProgress.empty(job.request.durations, job.extras.estimated_cost_usd)
  }
  const over = yield* store.reopen(job, { seconds, at }, limits, reopened)
  if (Option.isSome(over)) return yield* limitError(over.value, seconds)
  const { status, progress, error, completedAt, extras } = job
  yield* prepare.pipe(Effect.onError(() => store.refund(job, at, { status, progress, error, completedAt, extras })))
  const queued: Job = { ...job, ...reopened }
  yield* (yield* JobRunner).submit(queued)
  return queued
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
