/**
 * Runs jobs in the server process, a configurable number at once, each as core's
 * `LongVideo.generate` in its own run directory. Progress events go to the store as they come (for
 * the Video object and the event stream). On start every unfinished job is run again: the run
 * manifest in its directory makes that a resume, so no segment is paid for twice. A job
 * interrupted by shutdown keeps its state and resumes on the next start.
 */
import {
  type Errors,
  FrameExtractor,
  LongVideo,
  LongVideoRequest,
  type LongVideoResult,
  Manifest,
  Plan,
  Progress,
  Regenerate,
  Transition
} from "@longsora/core"
import { Cause, Context, Effect, Fiber, FiberMap, FileSystem, Layer, Option, Path, Schema, Semaphore } from "effect"
import { jobError } from "./ApiError.ts"
import type { Extras, Job, JobUpdate } from "./Job.ts"
import * as JobProgress from "./JobProgress.ts"
import { JobStore } from "./JobStore.ts"
import * as VideoObject from "./VideoObject.ts"

export const outputFile = "output.mp4"
export const thumbnailFile = "thumbnail.jpg"

export interface Service {
  /** Starts (or queues) a job already in the store. */
  readonly submit: (job: Job) => Effect.Effect<void>
  /** Stops a job's run, if it has one; what it already paid for stays recorded in its directory. */
  readonly cancel: (id: string) => Effect.Effect<void>
}

export class JobRunner extends Context.Service<JobRunner, Service>()("@longsora/server/JobRunner") {}

export interface Options {
  /** Jobs run at once; the others wait `queued`. */
  readonly concurrency: number
}

const decodePlan = Schema.decodeUnknownSync(Plan.Plan)

/** The job's request in core's terms; the same on every resume, so the manifest matches. */
export const coreRequest = (job: Job): LongVideoRequest.LongVideoRequest => {
  const { request } = job
  const transition = request.transition === undefined ? undefined : Transition.parse(request.transition)
  return new LongVideoRequest.LongVideoRequest({
    prompt: request.prompt,
    model: request.model,
    durations: [...request.durations],
    size: job.size,
    planModel: request.planModel ?? LongVideoRequest.defaults.planModel,
    outputDir: job.outputDir,
    saveSegments: false,
    ...(transition ? { transition } : {}),
    ...(request.mode ? { mode: request.mode } : {}),
    ...(request.chain ? { chain: request.chain } : {}),
    ...(request.plan === undefined || request.plan === null ? {} : { plan: decodePlan(request.plan) }),
    ...(request.inputReference ? { inputReference: request.inputReference } : {}),
    ...(job.recreateLost ? { recreateLost: true } : {})
  })
}

/**
 * The create whose answer was lost, if the run failed on one: the failed segment's record is still
 * `submitting` (sent, its job never recorded), which a rerun only starts anew with `recreateLost`.
 */
const lostCreateOf = (job: Job, error: unknown) =>
  Effect.gen(function* () {
    const failed = error as Partial<Errors.GenerationError> | undefined
    if (failed?._tag !== "GenerationError" || failed.segment === undefined) return undefined
    const manifest = yield* Manifest.read(job.outputDir).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(manifest)) return undefined
    const record = Manifest.segmentRecord(manifest.value, failed.segment)
    return record?.state === "submitting" ? { segment: failed.segment, sentAt: record.submittedAt } : undefined
  })

/** The extras once the run is done: the result's word on segments, replaced jobs and cost. */
const finalExtras = (extras: Extras, result: LongVideoResult.LongVideoResult): Extras => ({
  ...extras,
  segments: extras.segments.map((segment) => ({
    ...segment,
    state: "completed",
    job_id: result.jobIds[segment.segment - 1] ?? segment.job_id
  })),
  replaced_jobs: result.replacedJobs.map((job) => ({
    segment: job.segment,
    job_id: job.jobId,
    reason: job.reason,
    seconds: job.seconds
  })),
  estimated_cost_usd: result.estimatedCostUsd,
  join_method: result.joinMethod,
  // A regenerate is done once the output is joined again.
  regenerating: null
})

/**
 * Runs one job to its end (completed or failed, recorded with a final event). Interrupted, it
 * leaves the job's state as it is, to be resumed.
 */
export const run = Effect.fnUntraced(function* (job: Job) {
  const store = yield* JobStore
  const path = yield* Path.Path
  // Clients see files relative to the job, never where the server keeps them.
  const withRelativePath = (event: Progress.ProgressEvent) =>
    "path" in event ? { ...event, path: path.relative(job.outputDir, event.path) } : event
  const percents = new Map<number, number>()
  let extras = job.extras
  const record = (update: JobUpdate) => store.update(job.id, update)
  const finish = Effect.fnUntraced(function* (update: JobUpdate) {
    // A retry's leave to recreate lost creates ends with its attempt: a later one is never guessed.
    yield* record({ ...update, recreateLost: false })
    const finished = yield* store.get(job.id)
    if (finished._tag === "None") return
    const tag = update.status === "completed" ? "Completed" : "Failed"
    yield* store.appendEvent(job.id, JSON.stringify({ _tag: tag, video: VideoObject.of(finished.value) }))
  })

  yield* record({ status: "in_progress" })
  // Events come from concurrent fibers (segment 1 renders while the plan is made): one at a time,
  // so each gets the next number and the extras are folded in order.
  const serial = yield* Semaphore.make(1)
  const reporter: Progress.Reporter = {
    emit: (event) =>
      serial.withPermit(
        Effect.gen(function* () {
          extras = JobProgress.reduce(extras, event, percents)
          yield* store.appendEvent(job.id, JSON.stringify(withRelativePath(event)))
          yield* record({ extras, progress: JobProgress.percent(extras, percents) })
        })
      )
  }
  const outcome = yield* LongVideo.generate(coreRequest(job)).pipe(
    Effect.provideService(Progress.ProgressReporter, reporter),
    Effect.flatMap((result) =>
      Effect.gen(function* () {
        // A regenerate of the job (`POST …/regenerate`, MCP's `regenerate`) ends with the output joined again.
        yield* Regenerate.finish(job.outputDir)
        const extractor = yield* FrameExtractor.FrameExtractor
        // The video is made; a thumbnail that cannot be taken only leaves `variant=thumbnail` without one.
        yield* extractor
          .lastFrame(result.output, { size: result.size, destination: path.join(job.outputDir, thumbnailFile) })
          .pipe(Effect.catch((error) => Effect.logWarning(`job ${job.id}: no thumbnail: ${error.message}`)))
        return result
      })
    ),
    Effect.exit
  )
  if (outcome._tag === "Success") {
    const completedAt = Math.floor(Date.now() / 1000)
    return yield* finish({
      status: "completed",
      progress: 100,
      completedAt,
      extras: finalExtras(extras, outcome.value)
    })
  }
  // Interrupted (shutdown, or the job deleted): the state stays as it is; a restart resumes it.
  if (Cause.hasInterruptsOnly(outcome.cause)) return yield* Effect.interrupt
  yield* Effect.logWarning(`job ${job.id} failed`, outcome.cause)
  const error = Cause.squash(outcome.cause)
  yield* finish({
    status: "failed",
    completedAt: Math.floor(Date.now() / 1000),
    error: jobError(error, { id: job.id, lostCreate: yield* lostCreateOf(job, error) })
  })
})

export const layer = (options: Options): Layer.Layer<JobRunner, never, JobStore | LongVideo.Requirements> =>
  Layer.effect(
    JobRunner,
    Effect.gen(function* () {
      const store = yield* JobStore
      const services = yield* Effect.context<JobStore | LongVideo.Requirements>()
      const slots = yield* Semaphore.make(Math.max(1, options.concurrency))
      const running = yield* FiberMap.make<string>()
      const scope = yield* Effect.scope
      const start = (job: Job) =>
        FiberMap.run(running, job.id, slots.withPermit(run(job)).pipe(Effect.provide(services)), {
          onlyIfMissing: true
        }).pipe(Effect.asVoid)
      // A job's run that is still ending (its failure recorded, its fiber not yet gone) would make a retry submitted
      // then a no-op: the retry starts once that run has ended, if the job is still waiting for it. A job submitted
      // twice (a resume and a request) runs once: the second finds it no longer queued.
      const submit = (job: Job) =>
        Effect.gen(function* () {
          const previous = yield* FiberMap.get(running, job.id)
          if (Option.isNone(previous)) return yield* start(job)
          yield* Fiber.await(previous.value).pipe(
            Effect.andThen(store.get(job.id)),
            Effect.flatMap((current) =>
              Option.isSome(current) && current.value.status === "queued" ? start(current.value) : Effect.void
            ),
            Effect.forkIn(scope)
          )
        })
      const cancel = (id: string) => FiberMap.remove(running, id)
      const unfinished = yield* store.unfinished
      if (unfinished.length > 0) yield* Effect.logInfo(`resuming ${unfinished.length} unfinished job(s)`)
      yield* Effect.forEach(unfinished, submit, { discard: true })
      return JobRunner.of({ submit, cancel })
    })
  )

/** Removes a job's files (its run directory and its uploaded reference). */
export const removeFiles = (job: Job) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.remove(job.outputDir, { recursive: true }).pipe(Effect.ignore)
    if (job.request.inputReference) yield* fs.remove(job.request.inputReference).pipe(Effect.ignore)
  })
