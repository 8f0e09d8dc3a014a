/**
 * The MCP tools' runs as this server's jobs: `generate` makes an ordinary job (the same checks and
 * per-key limits as `POST /v1/videos`, listed by `GET /v1/videos`, resumed after a restart), owned by
 * the caller's API key. A run's name picks its job id (a hash of the key and the name), so the same
 * request, or the same `run`, finds its job again instead of paying twice; `status` and `inspect` take
 * that name or the job id.
 */
import { createHash } from "node:crypto"
import { Errors, KeyframeGenerator, type LongVideo, Manifest } from "@longsora/core"
import { CostConfirmation, Requests, RunStore, type ToolParams, Watch } from "@longsora/mcp"
import { Context, Effect, Option } from "effect"
import { lostCreateCode } from "./ApiError.ts"
import { CurrentPrincipal, type Principal } from "./Auth.ts"
import { isTerminal, type Job } from "./Job.ts"
import { JobRunner, removeFiles } from "./JobRunner.ts"
import { JobStore } from "./JobStore.ts"
import * as NewJob from "./NewJob.ts"
import * as VideoObject from "./VideoObject.ts"

export interface Options {
  readonly dataDir: string
  /** Ask before jobs estimated above this many USD; undefined when nothing is billed (offline). */
  readonly confirmAbove: number | undefined
}

/** The job a run name stands for: the same key and name always give the same id. */
export const jobIdOf = (owner: string, run: string): string =>
  `${VideoObject.idPrefix}${createHash("sha256").update(`${owner}\0${run}`).digest("hex").slice(0, 48)}`

const principal = Effect.serviceOption(CurrentPrincipal).pipe(
  Effect.flatMap(
    Option.match({
      // The endpoint's middleware authenticates every request; a call without a caller is a wiring bug.
      onNone: () => Effect.die(new Error("MCP tool call without an authenticated caller")),
      onSome: Effect.succeed
    })
  )
)

const unknownRun = (run: string) =>
  new Errors.InvalidRequest({
    field: "run",
    given: run,
    allowed: "a run started with this API key (its name, or its job id video_…)",
    fix: "Start it with generate, or call status without run for your most recent one."
  })

const hints: Record<Job["status"], string> = {
  queued: "Waiting for a free slot on the server; call status with watch: true to follow it.",
  in_progress: "Call status with watch: true (and a progressToken) to follow it; it keeps going if you do not.",
  completed:
    "Done: download the video from the output URL with your API key, or call inspect to check the seams and see the contact sheet.",
  failed: "Fix what the error says, then call generate with the same request: finished segments are not paid again."
}

/** A run stopped by a lost create goes on only when the user agrees to pay for that segment again. */
const lostCreateHint =
  "A segment's create got no answer and cannot be looked up: once the user has checked the provider's console " +
  "shows no such job, call generate with the same request and recreateLost: true (that segment may be billed twice)."

const hintFor = (job: Job) => (job.error?.code === lostCreateCode ? lostCreateHint : hints[job.status])

const statusOf = (job: Job) => {
  const segments = job.extras.segments
  return {
    run: job.id,
    state: job.status,
    progress: job.progress,
    completedSegments: segments.filter((segment) => segment.state === "completed").length,
    totalSegments: segments.length,
    segments,
    output: job.status === "completed" ? `/v1/videos/${job.id}/content` : null,
    estimatedCostUsd: job.extras.estimated_cost_usd,
    ...(job.error ? { error: job.error.message } : {}),
    hint: hintFor(job)
  }
}

const reply = (job: Job, lead: string, extra: Record<string, unknown> = {}) => {
  const answer = RunStore.statusReply(statusOf(job), lead)
  return { ...answer, structured: { ...answer.structured, ...extra } }
}

/** The request fields a job was made from, to tell a different request under the same name. */
const sameRequest = (a: Job["request"], b: Job["request"]) =>
  JSON.stringify([a.prompt, a.model, a.durations, a.planModel, a.mode, a.chain, a.transition, a.plan]) ===
  JSON.stringify([b.prompt, b.model, b.durations, b.planModel, b.mode, b.chain, b.transition, b.plan])

/**
 * A tool's `imageModel` against the server's: keyframes are rendered by the image model the operator
 * chose (`longsora serve --image-model`), as the provider keys are theirs; naming it (or none) is fine.
 */
export const checkImageModel = Effect.fnUntraced(function* (asked: string | undefined) {
  if (asked === undefined) return
  const images = yield* Effect.serviceOption(KeyframeGenerator.KeyframeGenerator)
  const served = Option.map(images, (generator) => generator.capabilities.model)
  if (Option.contains(served, asked)) return
  return yield* new Errors.InvalidRequest({
    field: "imageModel",
    given: asked,
    allowed: Option.match(served, {
      onNone: () => "nothing: this server has no image model for keyframes (its provider key is not set)",
      onSome: (model) => `${model}, the image model this server renders keyframes with`
    }),
    fix: "Leave imageModel out; the operator chooses it with longsora serve --image-model."
  })
})

/** The services jobs are checked, stored and run with. */
export type Services = JobStore | JobRunner | LongVideo.Requirements

export const make = (options: Options, services: Context.Context<Services>): RunStore.RunStore => {
  const store = Context.get(services, JobStore)
  const runner = Context.get(services, JobRunner)
  const withServices = <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.provideContext(effect, services)

  const own = (caller: Principal, id: string) =>
    Effect.map(
      store.get(id),
      Option.filter((job) => job.owner === caller.id)
    )

  /** The caller's job for `run`: a job id as it is, else the job the name stands for. */
  const find = Effect.fnUntraced(function* (caller: Principal, run: string) {
    const byId = run.startsWith(VideoObject.idPrefix) ? yield* own(caller, run) : Option.none<Job>()
    const job = Option.isSome(byId) ? byId : yield* own(caller, jobIdOf(caller.id, run))
    return Option.isSome(job) ? job.value : yield* unknownRun(run)
  })

  const directoryOf = (run: string) => Effect.succeed(NewJob.outputDirOf(options.dataDir, `preview-${run}`))

  const generate = Effect.fnUntraced(function* (params: ToolParams.GenerateParams) {
    yield* withServices(checkImageModel(params.imageModel))
    const caller = yield* principal
    const id = jobIdOf(caller.id, Requests.nameOf(params))
    const request = yield* Requests.toRequest(params, NewJob.outputDirOf(options.dataDir, id))
    const { job, validated } = yield* withServices(
      NewJob.prepare({ id, owner: caller.id, request, planModel: params.planModel, transition: params.transition })
    )
    const earlier = yield* own(caller, id)
    if (Option.isSome(earlier) && !params.restart) {
      if (!sameRequest(earlier.value.request, job.request)) {
        return yield* new Errors.InvalidRequest({
          field: "run",
          given: `${params.run ?? id}, a run of a different request`,
          allowed: "the request the run was started with",
          fix: "Use another run name, or restart: true to discard the run and start over."
        })
      }
      if (earlier.value.status !== "failed") {
        const lead = isTerminal(earlier.value.status)
          ? "Already made, nothing new started."
          : "Already running, nothing new started."
        return reply(earlier.value, lead, { resumed: false })
      }
    }
    yield* CostConfirmation.confirm({
      estimatedCostUsd: validated.estimatedCostUsd,
      threshold: options.confirmAbove,
      confirmed: params.confirm ?? false
    })
    if (Option.isSome(earlier) && !params.restart) {
      // A failed job runs again in its directory: finished segments are reused, not paid again.
      yield* withServices(NewJob.retry(earlier.value, caller.limits, { recreateLost: params.recreateLost ?? false }))
      return reply(
        Option.getOrElse(yield* store.get(id), () => earlier.value),
        "Resumed: finished segments are reused, not paid again.",
        { resumed: true }
      )
    }
    if (Option.isSome(earlier)) {
      yield* runner.cancel(id)
      yield* store.remove(id)
      yield* withServices(removeFiles(earlier.value))
    }
    yield* withServices(NewJob.admit(job, caller.limits))
    return reply(job, `Started (estimated ${Requests.usd(validated.estimatedCostUsd)}).`, {
      resumed: false,
      estimatedCostUsd: validated.estimatedCostUsd
    })
  })

  const latest = (caller: Principal) =>
    Effect.map(store.list({ owner: caller.id, limit: 1, order: "desc" }), (page) => page.data[0])

  const status = Effect.fnUntraced(function* (params: ToolParams.StatusParams) {
    const caller = yield* principal
    const job = params.run === undefined ? yield* latest(caller) : yield* find(caller, params.run)
    if (job === undefined) return yield* unknownRun("nothing, and there are no runs yet")
    if (params.watch && !isTerminal(job.status)) {
      yield* Watch.follow({
        snapshot: Effect.map(store.get(job.id), (current) => {
          const now = Option.getOrElse(current, () => job)
          const { completedSegments, totalSegments } = statusOf(now)
          return {
            progress: now.progress,
            total: 100,
            message: `${now.status}: ${completedSegments}/${totalSegments} segments done`,
            running: Option.isSome(current) && !isTerminal(now.status)
          }
        }),
        wait: Effect.sleep("250 millis"),
        seconds: params.waitSeconds ?? 300
      })
    }
    return reply(
      Option.getOrElse(yield* store.get(job.id), () => job),
      ""
    )
  })

  const files = Effect.fnUntraced(function* (run: string) {
    const job = yield* find(yield* principal, run)
    const manifest = yield* Manifest.read(job.outputDir)
    if (Option.isNone(manifest)) return yield* unknownRun(run)
    // The caller is not on this machine: the video by the API, the other files as the run's resources.
    const shown = {
      output: `/v1/videos/${job.id}/content`,
      file: (name: string) => `longsora://runs/${job.id}/${name}`
    }
    return { outputDir: job.outputDir, manifest: manifest.value, shown }
  })

  /**
   * Makes one segment of a finished job again: the segments are set aside in the job's directory
   * (the jobs replaced listed in the manifest's `versions`), and the job runs again as a resumed run, so a restart finishes it.
   */
  const regenerate = Effect.fnUntraced(function* (params: ToolParams.RegenerateParams) {
    const caller = yield* principal
    const job = yield* find(caller, params.run)
    if (!isTerminal(job.status)) return reply(job, "Still running, nothing new started.")
    // Asked about the cost first; then charged to today's seconds within the key's limits before any file is touched.
    const { queued, preview } = yield* NewJob.regenerate(job, params, caller.limits, (preview) =>
      CostConfirmation.confirm({
        estimatedCostUsd: preview.estimatedCostUsd,
        threshold: options.confirmAbove,
        confirmed: params.confirm ?? false,
        tool: "regenerate",
        subject: `Making segment ${preview.segments.join(", ")} of ${params.run} again`
      })
    ).pipe(Effect.provideContext(services))
    const lead =
      `${preview.resuming ? "Finishing an interrupted regenerate: making" : "Making"} segment ${preview.segments.join(", ")} ` +
      `again (${preview.seconds} s, estimated ${Requests.usd(preview.estimatedCostUsd)}); the jobs replaced stay listed in the run's versions.`
    return reply(queued, lead, {
      regenerating: preview.segments,
      seconds: preview.seconds,
      estimatedCostUsd: preview.estimatedCostUsd
    })
  })

  const recent = Effect.fnUntraced(function* (limit: number) {
    const caller = yield* principal
    const page = yield* store.list({ owner: caller.id, limit, order: "desc" })
    return page.data.map((job): RunStore.RunSummary => {
      const { run, state, completedSegments, totalSegments, output } = statusOf(job)
      const changedAt = job.completedAt ?? job.createdAt
      return {
        run,
        state,
        completedSegments,
        totalSegments,
        output,
        modifiedAt: new Date(changedAt * 1000).toISOString()
      }
    })
  })

  return { directoryOf, recent, generate, status, files, regenerate }
}
