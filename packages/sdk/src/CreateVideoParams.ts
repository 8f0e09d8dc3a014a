/**
 * `createVideo`'s parameters, in the camelCase of the original Python client's `create_video`, and
 * their translation to core's request. Bytes given as the reference are written to a scoped temp
 * file, since core takes a path.
 */
import { type AiSdkPlanner, type AiSdkSegmentGenerator, ModelObjects } from "@longsora/ai-sdk"
import { Errors, LongVideoRequest, type Plan, type Progress, Transition } from "@longsora/core"
import { Effect, FileSystem, Path, type Scope } from "effect"

export interface CreateVideoParams {
  readonly prompt: string
  /**
   * Default `sora-2`. A provider-prefixed id (`google:veo-3.1-generate-preview`, `fal:<app>`) uses
   * that AI SDK provider; an AI SDK video model object is used as it is.
   */
  readonly model?: string | AiSdkSegmentGenerator.VideoModel | undefined
  /** Total seconds; with `numGenerations` it is split by the duration solver. */
  readonly seconds?: number | undefined
  /** Default `longsora-output`. */
  readonly outputDir?: string | undefined
  /** Default 3. */
  readonly numGenerations?: number | undefined
  /** Default `gpt-5`. A provider-prefixed id (`google:gemini-2.5-flash`) or an AI SDK language model object. */
  readonly planModel?: string | NonNullable<AiSdkPlanner.Options["model"]> | undefined
  /**
   * With `chain: "keyframes"`: the image model that renders the keyframes (default `gpt-image-1.5`,
   * on this client's OpenAI connection; a provider-prefixed id such as `google:gemini-2.5-flash-image`
   * uses that AI SDK provider). Its price is in the estimate.
   */
  readonly imageModel?: string | undefined
  /** Log progress lines to stderr. */
  readonly verbose?: boolean | undefined
  /** Default true: keep `segments/segment_NN.mp4` and `segment_NN_last.jpg` beside `output.mp4`. */
  readonly saveSegments?: boolean | undefined
  readonly size?: string | undefined
  /**
   * The first frame of segment 1: an image (a file path, or its bytes), or a video to continue (a path or
   * its bytes), whose exact last frame opens segment 1.
   */
  readonly inputReference?: string | Uint8Array | Blob | undefined
  /** With a video `inputReference`: the output starts with that clip, then the segments that continue it. */
  readonly includeReference?: boolean | undefined
  /** A custom split such as `[12, 8, 4]`. */
  readonly durations?: ReadonlyArray<number> | undefined
  /** `cut`, `keep`, `crossfade` or `crossfade:0.5`, or a core `Transition`; default cut when chained, crossfade when independent. */
  readonly transition?: Transition.TransitionText | Transition.Transition | undefined
  /** `chained` (default): each segment starts from the previous last frame; `independent`: all at once. */
  readonly mode?: "chained" | "independent" | undefined
  /** Independent and keyframes modes: segments rendered at once (default: the provider's limit). */
  readonly maxConcurrency?: number | undefined
  /**
   * Chained mode: `last-frame` (default), each segment from the previous one's last frame; `extend`,
   * the provider extends its own clip (models that declare `extension`, e.g. sora-2 or google:veo-3.1-generate-preview); `keyframes`,
   * keyframe images first, then every segment at once between two (first+last-frame models).
   */
  readonly chain?: LongVideoRequest.ChainStrategy | undefined
  /** Use this plan as it is instead of planning. */
  readonly plan?: Plan.Plan | undefined
  /** Discard an earlier run in `outputDir` instead of resuming it. */
  readonly restart?: boolean | undefined
  /** Create a segment whose job failed again, up to this many times in this run (each billed; default 0). */
  readonly retryFailed?: number | undefined
  /**
   * When an earlier run's create lost its answer and the server shows several jobs that could be
   * it, create the segment anew (billed again) instead of failing with the candidates listed.
   */
  readonly recreateLost?: boolean | undefined
  /** Overwrite an `output.mp4` in `outputDir` that no LongSora run there made (refused otherwise). */
  readonly force?: boolean | undefined
  /** Chained: the frame the next segment starts from, `last` (default) or the `best` of the final second. */
  readonly anchor?: "last" | "best" | undefined
  /** Chained: stop before paying for more segments once one's look drifts this far from segment 1 (0–1). */
  readonly maxDrift?: number | undefined
  /** `blend` (default): crossfade the audio at every seam; `hard`: leave it cut. */
  readonly audioSeam?: "blend" | "hard" | undefined
  /** The audio blend's length in seconds (default 0.03). */
  readonly audioSeamSeconds?: number | undefined
  readonly onProgress?: ((event: Progress.ProgressEvent) => void) | undefined
  readonly signal?: AbortSignal | undefined
}

const transitionOf = (value: CreateVideoParams["transition"]) => {
  if (value === undefined || typeof value === "object") return Effect.succeed(value)
  const parsed = Transition.parse(value)
  return parsed
    ? Effect.succeed(parsed)
    : Effect.fail(
        new Errors.InvalidRequest({
          field: "transition",
          given: String(value),
          allowed: "cut, keep, crossfade or crossfade:SECONDS",
          fix: "Use one of those, e.g. crossfade:0.5."
        })
      )
}

/** Writes reference bytes to a temp file that lives as long as the scope. */
const referencePath = Effect.fnUntraced(function* (reference: CreateVideoParams["inputReference"]) {
  if (reference === undefined || typeof reference === "string") return reference
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "longsora-reference-" }).pipe(Effect.orDie)
  const bytes =
    reference instanceof Uint8Array ? reference : new Uint8Array(yield* Effect.promise(() => reference.arrayBuffer()))
  const file = path.join(directory, "reference")
  yield* fs.writeFile(file, bytes).pipe(Effect.orDie)
  return file
})

/** The id a model (given as an id or an AI SDK object) has in the request. */
export const modelIdOf = (model: CreateVideoParams["model"]): string | undefined =>
  model === undefined || typeof model === "string" ? model : ModelObjects.videoModelId(model)

export const planModelIdOf = (model: CreateVideoParams["planModel"]): string | undefined =>
  model === undefined ? undefined : ModelObjects.languageModelId(model)

export const toRequest = (
  params: CreateVideoParams
): Effect.Effect<
  LongVideoRequest.LongVideoRequest,
  Errors.InvalidRequest,
  FileSystem.FileSystem | Path.Path | Scope.Scope
> =>
  Effect.gen(function* () {
    const transition = yield* transitionOf(params.transition)
    const inputReference = yield* referencePath(params.inputReference)
    const { defaults } = LongVideoRequest
    return new LongVideoRequest.LongVideoRequest({
      prompt: params.prompt,
      model: modelIdOf(params.model) ?? defaults.model,
      planModel: planModelIdOf(params.planModel) ?? defaults.planModel,
      outputDir: params.outputDir ?? defaults.outputDir,
      saveSegments: params.saveSegments ?? defaults.saveSegments,
      ...(params.seconds === undefined ? {} : { seconds: params.seconds }),
      ...(params.numGenerations === undefined && params.durations === undefined && params.plan === undefined
        ? { numGenerations: defaults.numGenerations }
        : params.numGenerations === undefined
          ? {}
          : { numGenerations: params.numGenerations }),
      ...(params.durations === undefined ? {} : { durations: [...params.durations] }),
      ...(params.size === undefined ? {} : { size: params.size }),
      ...(inputReference === undefined ? {} : { inputReference }),
      ...(params.includeReference === undefined ? {} : { includeReference: params.includeReference }),
      ...(transition === undefined ? {} : { transition }),
      ...(params.mode === undefined ? {} : { mode: params.mode }),
      ...(params.maxConcurrency === undefined ? {} : { maxConcurrency: params.maxConcurrency }),
      ...(params.chain === undefined ? {} : { chain: params.chain }),
      ...(params.plan === undefined ? {} : { plan: params.plan }),
      ...(params.restart === undefined ? {} : { restart: params.restart }),
      ...(params.retryFailed === undefined ? {} : { retryFailed: params.retryFailed }),
      ...(params.recreateLost === undefined ? {} : { recreateLost: params.recreateLost }),
      ...(params.force === undefined ? {} : { force: params.force }),
      ...(params.anchor === undefined ? {} : { anchor: params.anchor }),
      ...(params.maxDrift === undefined ? {} : { maxDrift: params.maxDrift }),
      ...(params.audioSeam === undefined ? {} : { audioSeam: params.audioSeam }),
      ...(params.audioSeamSeconds === undefined ? {} : { audioSeamSeconds: params.audioSeamSeconds })
    })
  })
