/**
 * A job from core's request: checked by core's validation, then stored within the owner's limits
 * and handed to the runner. Every way a job is made (`POST /v1/videos`, MCP's `generate`) goes
 * through here, so the checks and the limits are one rule.
 */
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { type LongVideoRequest, Plan, Validation } from "@longsora/core"
import { Effect, Option, Schema } from "effect"
import { ApiError, fromValidation } from "./ApiError.ts"
import type { Job } from "./Job.ts"
import * as JobProgress from "./JobProgress.ts"
import { JobRunner } from "./JobRunner.ts"
import { JobStore, type Limits } from "./JobStore.ts"
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
      transition: input.transition,
      plan: request.plan === undefined ? undefined : encodePlan(request.plan),
      inputReference: request.inputReference
    },
    outputDir: request.outputDir,
    completedAt: null,
    error: null,
    extras: JobProgress.empty(validated.durations, validated.estimatedCostUsd)
  }
  return { job, validated }
})

/** Stores the job unless it breaks the owner's limits (429, saying which), and starts or queues it. */
export const admit = Effect.fnUntraced(function* (job: Job, limits: Limits) {
  const over = yield* (yield* JobStore).create(job, limits)
  if (Option.isSome(over)) {
    const { limit, allowed, used } = over.value
    const message =
      limit === "running_jobs"
        ? `Too many running jobs for this key: ${used} of ${allowed} are queued or in progress. Wait for one to finish, or ask the operator to raise the limit.`
        : `This job's ${job.seconds} s would pass this key's limit of ${allowed} video seconds per day (${used} s used today, UTC). Ask for fewer seconds, wait until tomorrow, or ask the operator to raise the limit.`
    return yield* new ApiError({
      status: 429,
      message,
      type: "rate_limit_error",
      param: null,
      code: limit === "running_jobs" ? "too_many_running_jobs" : "daily_seconds_exceeded"
    })
  }
  yield* (yield* JobRunner).submit(job)
})
