/**
 * `longsora regenerate DIR --segment K [--prompt "…"]`: makes segment K of a finished run again (in
 * chained mode also the segments after it), with the cost shown and confirmed first as `generate` does;
 * earlier versions are kept beside the new ones, and the output is joined again.
 */
import { Errors, Manifest, Progress, Regenerate, RunLock } from "@longsora/core"
import { Console, Effect, Option, Path } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Confirm from "./Confirm.ts"
import { requestFlags, spendingFlags } from "./Flags.ts"
import * as Reporters from "./Reporters.ts"
import * as RequestOptions from "./RequestOptions.ts"
import * as SeamFlags from "./SeamFlags.ts"
import * as Summary from "./Summary.ts"

export const flags = {
  dir: Argument.String("dir").pipe(Argument.withDescription("The --output directory of a finished run")),
  segment: Flag.Int("segment").pipe(Flag.withDescription("The segment to make again (1-based)")),
  prompt: Flag.String("prompt").pipe(
    Flag.withDescription("A new prompt for the segment (written into the run's plan.json)"),
    Flag.optional
  ),
  inputReference: requestFlags.inputReference,
  imageModel: Flag.String("image-model").pipe(
    Flag.withDescription(
      "A keyframes run: the image model for keyframes still to make (default: the one that made the run's keyframes)"
    ),
    Flag.optional
  ),
  clipSeconds: requestFlags.clipSeconds,
  usdPerSecond: requestFlags.usdPerSecond,
  offline: requestFlags.offline,
  baseUrl: requestFlags.baseUrl,
  json: requestFlags.json,
  ...SeamFlags.flags,
  ...spendingFlags,
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("Show what would be made again and its cost; create nothing"),
    Flag.withDefault(false)
  )
} as const

type RegenerateFlags = Command.Command.Config.Infer<typeof flags>

const notARun = (dir: string) =>
  new Errors.InvalidRequest({
    field: "outputDir",
    given: dir,
    allowed: "the output directory of a run (with .longsora/manifest.json)",
    fix: "Point it at the --output directory of a finished run."
  })

const previewText = (preview: Regenerate.Preview) =>
  `${preview.resuming ? "finishing an interrupted regenerate: " : ""}making segment ${preview.segments.join(", ")} ` +
  `again (${preview.seconds} s to create, estimated $${preview.estimatedCostUsd.toFixed(2)}); earlier versions are kept`

export const run = Effect.fnUntraced(function* (input: RegenerateFlags) {
  // Loaded when the command runs, not for `--help`: the services bring the providers and ffmpeg.
  const Services = yield* Effect.promise(() => import("./Services.ts"))
  yield* SeamFlags.check(input)
  yield* Confirm.checkThreshold(input.confirmAbove)
  const path = yield* Path.Path
  const outputDir = path.resolve(input.dir)
  const manifest = yield* Manifest.read(outputDir)
  if (Option.isNone(manifest)) return yield* notARun(input.dir)
  const { model, planModel, size } = manifest.value.request
  const declared = yield* RequestOptions.declaredModel({
    seconds: Option.none(),
    segments: Option.none(),
    model,
    planModel,
    size: Option.some(size),
    inputReference: input.inputReference,
    durations: Option.none(),
    chain: Option.none(),
    clipSeconds: input.clipSeconds,
    usdPerSecond: input.usdPerSecond,
    transition: Option.none(),
    output: outputDir
  })
  const request: Regenerate.RegenerateRequest = {
    outputDir,
    segment: input.segment,
    prompt: Option.getOrUndefined(input.prompt),
    inputReference: Option.getOrUndefined(input.inputReference),
    retryFailed: input.retryFailed,
    ...SeamFlags.requestFields(input)
  }
  const target = {
    offline: input.offline,
    dryRun: input.dryRun,
    baseUrl: input.baseUrl,
    models: declared ? [declared] : [],
    emulatorDataDir: input.dryRun ? undefined : Services.emulatorDataDir(path, outputDir),
    model,
    planModel,
    imageModel: Option.getOrUndefined(input.imageModel) ?? Manifest.keyframeModel(manifest.value)
  }
  const program = Effect.gen(function* () {
    const preview = yield* Regenerate.preview(request)
    if (input.dryRun) {
      yield* Console.log(
        input.json
          ? JSON.stringify({ _tag: "RegenerateDryRun", ...preview })
          : `${previewText(preview)}\ndry run: nothing was created`
      )
      return
    }
    if (!input.json) yield* Console.error(previewText(preview))
    if (!input.offline) {
      yield* Confirm.costConfirmed({
        estimatedCostUsd: preview.estimatedCostUsd,
        threshold: input.confirmAbove,
        yes: input.yes
      })
    }
    const reporter = input.json ? Reporters.json(Reporters.stdout) : Reporters.plain(Reporters.stderr)
    const result = yield* Regenerate.regenerate(request).pipe(
      Effect.provideService(Progress.ProgressReporter, reporter),
      Effect.scoped
    )
    yield* Console.log(input.json ? JSON.stringify({ _tag: "Result", ...result }) : Summary.result(result))
  })
  const withServices = program.pipe(Effect.scoped, Effect.provide(Services.layer(target)))
  // The offline emulator keeps its jobs in the output directory: a second run is refused before it starts one there.
  return yield* input.offline && !input.dryRun ? RunLock.holding(outputDir)(withServices) : withServices
})

export const command = Command.make("regenerate", flags, run).pipe(
  Command.withDescription(
    "Make one segment of a finished run again (chained: also the ones after it), keep the earlier versions, join again"
  ),
  Command.withExamples([
    {
      command: 'longsora regenerate longsora-output --segment 2 --prompt "The keeper reaches the lamp room."',
      description: "Redo segment 2 (and, chained, 3, 4, …) with a new prompt; the cost is shown first"
    }
  ])
)
