/** What `longsora generate` runs (loaded by its handler): the whole run, with cost shown (or asked) before spending. */
import { Errors, LongVideo, Manifest, Progress, RunLock, Validation } from "@longsora/core"
import { Console, Effect, Option, Path, Result } from "effect"
import * as Confirm from "./Confirm.ts"
import type { GenerateFlags } from "./GenerateCommand.ts"
import * as PlanFile from "./PlanFile.ts"
import * as Reporters from "./Reporters.ts"
import * as RequestOptions from "./RequestOptions.ts"
import * as SeamFlags from "./SeamFlags.ts"
import * as Services from "./Services.ts"
import * as Summary from "./Summary.ts"

const missingPrompt = new Errors.InvalidRequest({
  field: "prompt",
  given: "nothing",
  allowed: "a description of the video, or --plan plan.json",
  fix: 'Run e.g. longsora generate "A woman is dancing in a bunch of trees." --seconds 24'
})

const reporter = (json: boolean) =>
  json
    ? Effect.succeed(Reporters.json(Reporters.stdout))
    : process.stderr.isTTY
      ? Reporters.terminal(Reporters.stderr)
      : Effect.succeed(Reporters.plain(Reporters.stderr))

const dryRunJson = (preview: LongVideo.Preview) => ({
  _tag: "DryRun",
  durations: preview.durations,
  size: preview.size,
  usdPerSecond: preview.usdPerSecond,
  estimatedCostUsd: preview.estimatedCostUsd,
  outputDir: preview.outputDir,
  ...(preview.keyframes ? { keyframes: preview.keyframes } : {}),
  plan: Result.isSuccess(preview.plan) ? preview.plan.success : null,
  planError: Result.isFailure(preview.plan) ? preview.plan.failure.message : null
})

export const run = Effect.fnUntraced(function* (input: GenerateFlags) {
  const plan = Option.isSome(input.plan) ? yield* PlanFile.read(input.plan.value) : undefined
  const prompt = Option.getOrElse(input.prompt, () => plan?.segments[0].prompt ?? "")
  if (prompt === "") return yield* missingPrompt
  yield* SeamFlags.check(input)
  const request = yield* RequestOptions.toRequest(prompt, input, {
    saveSegments: input.saveSegments,
    plan,
    restart: input.restart,
    mode: input.mode,
    maxConcurrency: Option.getOrUndefined(input.maxConcurrency),
    retryFailed: input.retryFailed,
    recreateLost: input.recreateLost,
    force: input.force,
    ...(input.anchor === "best" ? { anchor: "best" as const } : {}),
    ...(input.includeReference ? { includeReference: true } : {}),
    ...SeamFlags.requestFields(input)
  })
  yield* Confirm.checkThreshold(input.confirmAbove)
  const declared = yield* RequestOptions.declaredModel(input)
  const path = yield* Path.Path
  const target = {
    offline: input.offline,
    dryRun: input.dryRun,
    baseUrl: input.baseUrl,
    models: declared ? [declared] : [],
    // A dry run writes nothing, so its emulator keeps to a temp dir.
    emulatorDataDir: input.dryRun ? undefined : Services.emulatorDataDir(path, input.output),
    model: input.model,
    planModel: input.planModel,
    imageModel: input.imageModel
  }

  const program = Effect.gen(function* () {
    if (input.resume) {
      const previous = yield* Manifest.read(path.resolve(input.output))
      if (Option.isNone(previous)) {
        return yield* new Errors.InvalidRequest({
          field: "--resume",
          given: input.output,
          allowed: "an output directory with an earlier run",
          fix: "Run without --resume to start a new run."
        })
      }
    }
    if (input.dryRun) {
      const preview = yield* LongVideo.preview(request)
      yield* Console.log(input.json ? JSON.stringify(dryRunJson(preview)) : Summary.preview(preview))
      return
    }
    const validated = yield* Validation.validate(request, { createOutputDir: false })
    if (!input.offline) {
      yield* Confirm.costConfirmed({
        estimatedCostUsd: validated.estimatedCostUsd,
        threshold: input.confirmAbove,
        yes: input.yes
      })
    }
    // The live block is closed (final redraw) before the summary is printed below it.
    const result = yield* LongVideo.generate(request).pipe(
      Effect.provideServiceEffect(Progress.ProgressReporter, reporter(input.json)),
      Effect.scoped
    )
    yield* Console.log(input.json ? JSON.stringify({ _tag: "Result", ...result }) : Summary.result(result))
  })
  const withServices = program.pipe(Effect.scoped, Effect.provide(Services.layer(target)))
  // The offline emulator keeps its jobs in the output directory: a second run is refused before it starts one there.
  return yield* input.offline && !input.dryRun ? RunLock.holding(input.output)(withServices) : withServices
})
