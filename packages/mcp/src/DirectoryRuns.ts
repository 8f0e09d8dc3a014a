/**
 * Runs in a directory, one per run, named by the run (`longsora mcp`): started by this process as
 * live runs (`LiveRuns`), found again after it ends from their manifests (`Runs`).
 */
import { Errors, LongVideo, Manifest, Regenerate, Validation } from "@longsora/core"
import type { LongSora } from "@longsora/sdk"
import { Deferred, Effect, Exit, Layer, Option, Scope } from "effect"
import type { McpSchema } from "effect/ai"
import * as CostConfirmation from "./CostConfirmation.ts"
import * as LiveRuns from "./LiveRuns.ts"
import { nameOf, toRequest, usd } from "./Requests.ts"
import { type RunStore, type RunSummary, statusReply } from "./RunStore.ts"
import * as Runs from "./Runs.ts"
import type * as ToolParams from "./ToolParams.ts"
import * as Watch from "./Watch.ts"

/** What services are asked for: a preview (plan, estimate) writes nothing; a run works in `outputDir`. */
export interface ServiceRequest {
  readonly purpose: "preview" | "run"
  /** `chain: keyframes`: the image model asked for (else the default, or for a regenerate the run's own). */
  readonly imageModel?: string | undefined
  readonly model: string
  readonly planModel: string
  readonly outputDir: string
}

export interface Options {
  /** Absolute. */
  readonly runsDir: string
  readonly confirmAbove: number | undefined
  readonly liveRuns: LiveRuns.LiveRuns
  /** The server's scope: runs live in scopes of their own inside it. */
  readonly scope: Scope.Scope
  /** The services for one preview or one run, as the CLI wires them for one command. */
  readonly services: (request: ServiceRequest) => Layer.Layer<LongSora.Services, unknown>
}

const alreadyRunning = "Already running, nothing new started."

/**
 * Builds a run's services in a scope of its own that the run closes when it ends (or that is closed
 * here if it never starts), checks the cost, and starts `program` in the background.
 */
const startRun = Effect.fnUntraced(function* (
  options: Options,
  name: string,
  outputDir: string,
  services: Layer.Layer<LongSora.Services, unknown>,
  prepare: Effect.Effect<
    { readonly program: LiveRuns.Program; readonly estimatedCostUsd: number },
    unknown,
    LongSora.Services | McpSchema.McpRequestContext
  >
) {
  const scope = yield* Scope.fork(options.scope)
  return yield* Effect.gen(function* () {
    const context = yield* Layer.buildWithScope(services, scope)
    const { program, estimatedCostUsd } = yield* prepare.pipe(Effect.provideContext(context))
    const { run, joined } = yield* options.liveRuns.start(name, outputDir, program, { context, scope })
    return { run, joined, estimatedCostUsd }
  }).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
})

export const make = (options: Options): RunStore => {
  const { runsDir, liveRuns } = options
  const resolveRun = (name: string) => Runs.directoryOf(runsDir, name)
  const runServices = (
    request: { readonly model: string; readonly planModel: string },
    outputDir: string,
    imageModel: string | undefined
  ) => options.services({ purpose: "run", model: request.model, planModel: request.planModel, outputDir, imageModel })

  const generate = Effect.fnUntraced(function* (params: ToolParams.GenerateParams) {
    const name = nameOf(params)
    const outputDir = yield* resolveRun(name)
    const live = liveRuns.get(outputDir)
    if (live?.state === "running") return statusReply(yield* Runs.status(runsDir, name, live), alreadyRunning)
    const request = yield* toRequest(params, outputDir, params)
    const earlier = yield* Manifest.read(outputDir)
    const started = yield* startRun(
      options,
      name,
      outputDir,
      runServices(request, outputDir, params.imageModel),
      Effect.gen(function* () {
        const validated = yield* Validation.validate(request, { createOutputDir: false })
        yield* CostConfirmation.confirm({
          estimatedCostUsd: validated.estimatedCostUsd,
          threshold: options.confirmAbove,
          confirmed: params.confirm ?? false
        })
        return { program: LongVideo.generate(request), estimatedCostUsd: validated.estimatedCostUsd }
      })
    )
    const resumed = Option.isSome(earlier) && !request.restart
    const status = yield* Runs.status(runsDir, name, started.run)
    const lead = started.joined
      ? alreadyRunning
      : resumed
        ? "Resumed: finished segments are reused, not paid again."
        : `Started (estimated ${usd(started.estimatedCostUsd)}).`
    const reply = statusReply(status, lead)
    return { ...reply, structured: { ...reply.structured, resumed, estimatedCostUsd: started.estimatedCostUsd } }
  })

  const status = Effect.fnUntraced(function* (params: ToolParams.StatusParams) {
    const name = params.run ?? (yield* Runs.list(runsDir))[0]?.run
    if (name === undefined) {
      return yield* new Errors.InvalidRequest({
        field: "run",
        given: "nothing, and there are no runs yet",
        allowed: `a run under ${runsDir}`,
        fix: "Start one with generate."
      })
    }
    const live = liveRuns.get(yield* resolveRun(name))
    if (params.watch && live?.state === "running") {
      yield* Watch.follow({
        snapshot: Effect.sync(() => ({ ...LiveRuns.progressOf(live), running: live.state === "running" })),
        wait: Effect.raceFirst(Effect.sleep("200 millis"), Deferred.await(live.done)),
        seconds: params.waitSeconds ?? 300
      })
    }
    return statusReply(yield* Runs.status(runsDir, name, live), "")
  })

  const files = Effect.fnUntraced(function* (run: string) {
    const outputDir = yield* resolveRun(run)
    const manifest = yield* Manifest.read(outputDir)
    if (Option.isNone(manifest)) return yield* Runs.unknownRun(run, runsDir)
    return { outputDir, manifest: manifest.value }
  })

  const regenerate = Effect.fnUntraced(function* (params: ToolParams.RegenerateParams) {
    const { outputDir, manifest } = yield* files(params.run)
    const live = liveRuns.get(outputDir)
    if (live?.state === "running") return statusReply(yield* Runs.status(runsDir, params.run, live), alreadyRunning)
    const input: Regenerate.RegenerateRequest = { outputDir, segment: params.segment, prompt: params.prompt }
    let preview: Regenerate.Preview | undefined
    const started = yield* startRun(
      options,
      params.run,
      outputDir,
      runServices(manifest.request, outputDir, Manifest.keyframeModel(manifest)),
      Effect.gen(function* () {
        preview = yield* Regenerate.preview(input)
        yield* CostConfirmation.confirm({
          estimatedCostUsd: preview.estimatedCostUsd,
          threshold: options.confirmAbove,
          confirmed: params.confirm ?? false,
          tool: "regenerate",
          subject: `Making segment ${preview.segments.join(", ")} of ${params.run} again`
        })
        return { program: Regenerate.regenerate(input).pipe(Effect.scoped), estimatedCostUsd: preview.estimatedCostUsd }
      })
    )
    const made = preview!
    const lead = started.joined
      ? alreadyRunning
      : `${made.resuming ? "Finishing an interrupted regenerate: making" : "Making"} segment ${made.segments.join(", ")} ` +
        `again (${made.seconds} s, estimated ${usd(made.estimatedCostUsd)}); earlier versions are kept.`
    const reply = statusReply(yield* Runs.status(runsDir, params.run, started.run), lead)
    return {
      ...reply,
      structured: {
        ...reply.structured,
        regenerating: made.segments,
        seconds: made.seconds,
        estimatedCostUsd: made.estimatedCostUsd
      }
    }
  })

  const recent = Effect.fnUntraced(function* (limit: number) {
    const entries = (yield* Runs.list(runsDir)).slice(0, limit)
    const summaries = yield* Effect.forEach(entries, (entry) =>
      Effect.flatMap(resolveRun(entry.run), (dir) => Runs.status(runsDir, entry.run, liveRuns.get(dir))).pipe(
        Effect.map(
          ({ run, state, completedSegments, totalSegments, output }): RunSummary => ({
            run,
            state,
            completedSegments,
            totalSegments,
            output,
            modifiedAt: new Date(entry.modifiedAt).toISOString()
          })
        ),
        Effect.option
      )
    )
    return summaries.flatMap((summary) => (Option.isSome(summary) ? [summary.value] : []))
  })

  return { directoryOf: resolveRun, recent, generate, status, files, regenerate }
}
