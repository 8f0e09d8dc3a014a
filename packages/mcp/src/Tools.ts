/**
 * The tools: plan, estimate, generate, status and inspect. Each is a thin call into core (preview,
 * validation, the orchestration program) or ffmpeg-combiner (inspection); they add no rules of their
 * own, and their failures are core's typed errors with the messages the CLI prints.
 */
import { Errors, LongVideo, type LongVideoRequest, Manifest, Transition, Validation } from "@longsora/core"
import { FfmpegBinary, Inspection, Probe } from "@longsora/ffmpeg-combiner"
import { CreateVideoParams, type LongSora } from "@longsora/sdk"
import { Deferred, Effect, Exit, FileSystem, Layer, Option, Path, Result, Scope } from "effect"
import { McpSchema, McpServer } from "effect/ai"
import * as CostConfirmation from "./CostConfirmation.ts"
import * as LiveRuns from "./LiveRuns.ts"
import * as Runs from "./Runs.ts"
import * as ToolParams from "./ToolParams.ts"
import { register } from "./ToolRegistry.ts"

/** What services are asked for: a preview (plan, estimate) writes nothing; a run works in `outputDir`. */
export interface ServiceRequest {
  readonly purpose: "preview" | "run"
  readonly model: string
  readonly planModel: string
  readonly outputDir: string
}

export interface Environment {
  readonly runsDir: string
  readonly confirmAbove: number | undefined
  readonly liveRuns: LiveRuns.LiveRuns
  /** The server's scope: runs live in scopes of their own inside it. */
  readonly scope: Scope.Scope
  /** The services for one preview or one run, as the CLI wires them for one command. */
  readonly services: (request: ServiceRequest) => Layer.Layer<LongSora.Services, unknown>
}

const servicesFor = (
  env: Environment,
  request: LongVideoRequest.LongVideoRequest,
  purpose: ServiceRequest["purpose"]
) => env.services({ purpose, model: request.model, planModel: request.planModel, outputDir: request.outputDir })

const usd = (amount: number) => `$${amount.toFixed(2)}`

/** The request fields a run is identified by (not how it is started). */
const requestOf = (params: ToolParams.PlanParams | ToolParams.GenerateParams): ToolParams.PlanParams => {
  const { run: _run, confirm: _confirm, restart: _restart, ...request } = params as ToolParams.GenerateParams
  return request
}

/** Through the SDK's translation, so a transition text is checked the same way there and here. */
const toRequest = (params: ToolParams.PlanParams, outputDir: string, restart = false) => {
  const { transition, ...rest } = requestOf(params)
  return CreateVideoParams.toRequest({
    ...rest,
    // Checked by toRequest, which names the argument when it is not one of the forms.
    ...(transition === undefined ? {} : { transition: transition as Transition.TransitionText }),
    outputDir,
    saveSegments: true,
    restart
  }).pipe(Effect.scoped)
}

const nameOf = (params: ToolParams.PlanParams & { readonly run?: string | undefined }) =>
  params.run ?? Runs.defaultName(params.prompt, requestOf(params))

const resolveRun = (env: Environment, name: string) => Runs.directoryOf(env.runsDir, name)

const planTool = (env: Environment) =>
  register({
    name: "plan",
    title: "Plan a long video",
    description:
      "Split a long video into segments the video model accepts and write one prompt per segment (nothing is generated or billed; " +
      "the planner model is called). Show the plan to the user; pass it, edited if they like, to generate's plan argument.",
    parameters: ToolParams.PlanParams,
    hints: { readOnlyHint: true, openWorldHint: true },
    handle: (params) =>
      Effect.gen(function* () {
        const request = yield* toRequest(params, yield* resolveRun(env, nameOf(params)))
        const preview = yield* LongVideo.preview(request).pipe(Effect.provide(servicesFor(env, request, "preview")))
        if (Result.isFailure(preview.plan)) return yield* preview.plan.failure
        const plan = preview.plan.success
        return {
          summary: [
            `Plan: ${preview.durations.join(" + ")} s at ${preview.size}, estimated ${usd(preview.estimatedCostUsd)}.`,
            `brief: ${plan.brief}`,
            ...plan.segments.map((segment, i) => `${i + 1}. (${segment.seconds} s) ${segment.prompt}`)
          ].join("\n"),
          structured: {
            plan: { brief: plan.brief, segments: plan.segments.map(({ prompt, seconds }) => ({ prompt, seconds })) },
            durations: preview.durations,
            size: preview.size,
            usdPerSecond: preview.usdPerSecond,
            estimatedCostUsd: preview.estimatedCostUsd
          }
        }
      })
  })

const estimateTool = (env: Environment) =>
  register({
    name: "estimate",
    title: "Estimate a long video",
    description:
      "The split into segments and the cost of a long video, without planning or generating anything (no model is called, nothing is billed).",
    parameters: ToolParams.EstimateParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) =>
      Effect.gen(function* () {
        const run = nameOf(params)
        const request = yield* toRequest(params, yield* resolveRun(env, run))
        const validated = yield* Validation.validate(request, { createOutputDir: false }).pipe(
          Effect.provide(servicesFor(env, request, "preview"))
        )
        const needsConfirmation = env.confirmAbove !== undefined && validated.estimatedCostUsd > env.confirmAbove
        return {
          summary:
            `${validated.durations.length} segments: ${validated.durations.join(" + ")} s at ${validated.size}, ` +
            `estimated ${usd(validated.estimatedCostUsd)} (${usd(validated.usdPerSecond)}/s).` +
            (needsConfirmation ? ` Above ${usd(env.confirmAbove!)}: generate asks the user to confirm.` : ""),
          structured: {
            run,
            durations: validated.durations,
            size: validated.size,
            model: validated.capabilities.model,
            usdPerSecond: validated.usdPerSecond,
            estimatedCostUsd: validated.estimatedCostUsd,
            confirmationThresholdUsd: env.confirmAbove ?? null,
            needsConfirmation
          }
        }
      })
  })

const statusReply = (status: Runs.RunStatus, lead: string) => ({
  summary: [
    `${lead} Run ${status.run}: ${status.state}, ${status.completedSegments}/${status.totalSegments} segments done.`,
    ...(status.error ? [`error: ${status.error}`] : []),
    ...(status.output ? [`output: ${status.output}`] : []),
    status.hint
  ].join("\n"),
  structured: { ...status }
})

/**
 * Validates, asks about the cost, and starts the run. Its services are built once, in a scope of
 * their own that the run closes when it ends (or that is closed here if it never starts).
 */
const start = Effect.fnUntraced(function* (
  env: Environment,
  name: string,
  request: LongVideoRequest.LongVideoRequest,
  confirmed: boolean
) {
  const scope = yield* Scope.fork(env.scope)
  return yield* Effect.gen(function* () {
    const context = yield* Layer.buildWithScope(servicesFor(env, request, "run"), scope)
    const validated = yield* Validation.validate(request, { createOutputDir: false }).pipe(
      Effect.provideContext(context)
    )
    yield* CostConfirmation.confirm({
      estimatedCostUsd: validated.estimatedCostUsd,
      threshold: env.confirmAbove,
      confirmed
    })
    const earlier = yield* Manifest.read(request.outputDir)
    const { run, joined } = yield* env.liveRuns.start(name, request, { context, scope })
    const resumed = Option.isSome(earlier) && !request.restart
    return { run, joined, resumed, estimatedCostUsd: validated.estimatedCostUsd }
  }).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
})

const generateTool = (env: Environment) =>
  register({
    name: "generate",
    title: "Generate a long video",
    description:
      "Start making a long video and return at once with the run's name (its directory under the runs directory); it keeps " +
      "rendering in the background for minutes. Follow it with status (watch: true). Billed: above the server's threshold " +
      "the user is asked first. The same request under the same run name resumes a stopped run instead of paying again.",
    parameters: ToolParams.GenerateParams,
    hints: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handle: (params) =>
      Effect.gen(function* () {
        const name = nameOf(params)
        const outputDir = yield* resolveRun(env, name)
        const alreadyRunning = "Already running, nothing new started."
        const live = env.liveRuns.get(outputDir)
        if (live?.state === "running") return statusReply(yield* Runs.status(env.runsDir, name, live), alreadyRunning)
        const request = yield* toRequest(params, outputDir, params.restart ?? false)
        const started = yield* start(env, name, request, params.confirm ?? false)
        const status = yield* Runs.status(env.runsDir, name, started.run)
        const lead = started.joined
          ? alreadyRunning
          : started.resumed
            ? "Resumed: finished segments are reused, not paid again."
            : `Started (estimated ${usd(started.estimatedCostUsd)}).`
        const reply = statusReply(status, lead)
        return {
          ...reply,
          structured: { ...reply.structured, resumed: started.resumed, estimatedCostUsd: started.estimatedCostUsd }
        }
      })
  })

/** Sends MCP progress for `run` while it works, until it ends or `seconds` pass. */
const watch = Effect.fnUntraced(function* (run: LiveRuns.LiveRun, seconds: number) {
  const context = yield* McpSchema.McpRequestContext
  const token = (context.requestMetadata as { readonly progressToken?: unknown } | undefined)?.progressToken
  const server = yield* McpServer.McpServer
  let sent = -1
  // Uninterruptible: a notification counted as sent has been sent, so the last one is never skipped.
  const notify = Effect.uninterruptible(
    Effect.suspend(() => {
      const { progress, total, message } = LiveRuns.progressOf(run)
      // Progress must increase with every notification.
      if ((typeof token !== "string" && typeof token !== "number") || progress <= sent) return Effect.void
      sent = progress
      return server.notifications["notifications/progress"]({ progressToken: token, progress, total, message }).pipe(
        Effect.ignore
      )
    })
  )
  const tick = Effect.andThen(notify, Effect.raceFirst(Effect.sleep("200 millis"), Deferred.await(run.done)))
  yield* Effect.whileLoop({ while: () => run.state === "running", body: () => tick, step: () => {} }).pipe(
    Effect.andThen(notify),
    Effect.timeoutOption(`${seconds} seconds`)
  )
})

const statusTool = (env: Environment) =>
  register({
    name: "status",
    title: "Status of a run",
    description:
      "Progress of a run per segment (state, job id, the provider's percentage), read from the run's manifest, so it also " +
      "finds runs of earlier server processes. With watch: true it waits while the run works and sends MCP progress " +
      "notifications to the request's progressToken, answering when the run ends (or after waitSeconds).",
    parameters: ToolParams.StatusParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) =>
      Effect.gen(function* () {
        const name = params.run ?? (yield* Runs.list(env.runsDir))[0]?.run
        if (name === undefined) {
          return yield* new Errors.InvalidRequest({
            field: "run",
            given: "nothing, and there are no runs yet",
            allowed: `a run under ${env.runsDir}`,
            fix: "Start one with generate."
          })
        }
        const live = env.liveRuns.get(yield* resolveRun(env, name))
        if (params.watch && live?.state === "running") yield* watch(live, params.waitSeconds ?? 300)
        return statusReply(yield* Runs.status(env.runsDir, name, live), "")
      })
  })

const notFinished = (name: string) =>
  new Errors.InvalidRequest({
    field: "run",
    given: `${name}, which has no output video yet`,
    allowed: "a finished run",
    fix: "Call status to see where it is; generate with the same request resumes it."
  })

const inspectionLayer = Probe.layer.pipe(Layer.provideMerge(FfmpegBinary.layerConfig))

const inspectTool = (env: Environment) =>
  register({
    name: "inspect",
    title: "Inspect a finished run",
    description:
      "Check a finished run's video: streams, audio/video sync, and how visible each seam is (SSIM and PSNR of the frames " +
      "either side, against the median inside segments); returns the contact sheet of every seam as an image.",
    parameters: ToolParams.InspectParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const outputDir = yield* resolveRun(env, params.run)
        const manifest = yield* Manifest.read(outputDir)
        if (Option.isNone(manifest)) return yield* Runs.unknownRun(params.run, env.runsDir)
        const output = manifest.value.output
        if (output === null) return yield* notFinished(params.run)
        const { request } = manifest.value
        // The manifest records the transition in effect, in the form Transition.format writes.
        const transition = Transition.parse(request.transition) ?? Transition.cut
        const report = yield* Inspection.inspect(
          output,
          request.durations,
          transition,
          path.join(outputDir, "seams.png")
        ).pipe(Effect.provide(inspectionLayer))
        const sheet = report.contactSheet
        const image = sheet ? yield* fs.readFile(sheet) : undefined
        const inSync = report.avDifferenceSeconds < report.frameSeconds
        const worst = [...report.seams.seams].sort((a, b) => a.ssimRatio - b.ssimRatio)[0]
        return {
          summary: [
            `${output}: ${report.media.duration.toFixed(3)} s, ${request.durations.join(" + ")} s segments, audio/video ${inSync ? "in sync" : "NOT in sync"}.`,
            `Inside segments: median SSIM ${report.seams.medianSsim.toFixed(4)}, median PSNR ${report.seams.medianPsnr.toFixed(2)} dB.`,
            worst
              ? `Least smooth seam: ${worst.segment}→${worst.segment + 1} at ${worst.seconds.toFixed(3)} s, SSIM ${(worst.ssimRatio * 100).toFixed(1)} % of the median.`
              : "One segment: no seams.",
            ...(sheet ? [`Contact sheet (one row per seam, before | after): ${sheet}`] : [])
          ].join("\n"),
          structured: {
            run: params.run,
            output,
            durationSeconds: report.media.duration,
            avDifferenceSeconds: report.avDifferenceSeconds,
            frameSeconds: report.frameSeconds,
            inSync,
            seams: report.seams,
            contactSheet: sheet ?? null
          },
          images: image ? [{ data: image, mimeType: "image/png" }] : []
        }
      })
  })

/** Registers every tool; `regenerate` waits for core to regenerate one segment. */
export const registerAll = (env: Environment) =>
  Effect.all([planTool(env), estimateTool(env), generateTool(env), statusTool(env), inspectTool(env)], {
    discard: true
  })
