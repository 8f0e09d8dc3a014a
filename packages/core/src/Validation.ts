/**
 * Everything about a request that can be checked before a paid call: arguments against the model's
 * capabilities, the duration split, the reference image, the output directory and the local tools.
 * Each failure names the argument, what was given, what is allowed and the fix.
 */
import { Effect, FileSystem, Option, Path, Result } from "effect"
import {
  acceptsClipLength,
  acceptsPrompt,
  clipLengthsProblem,
  clipLengthValues,
  defaultSize,
  describeClipLengths,
  firstFrameProblem,
  maxClipSeconds,
  maxSidePixels,
  orList,
  type ProviderCapabilities,
  parseSize,
  sizeOption
} from "./Capabilities.ts"
import * as Chain from "./Chain.ts"
import * as ChainKeyframes from "./ChainKeyframes.ts"
import { Combiner } from "./Combiner.ts"
import * as DurationSolver from "./DurationSolver.ts"
import { InvalidRequest, type MissingDependency, type UnformableDuration } from "./Errors.ts"
import { FrameExtractor, type ImageInfo, type VideoInfo } from "./FrameExtractor.ts"
import { type ImageCapabilities, KeyframeGenerator } from "./KeyframeGenerator.ts"
import { type LongVideoRequest, maxSegments } from "./LongVideoRequest.ts"
import * as Manifest from "./Manifest.ts"
import * as ReferenceVideo from "./ReferenceVideo.ts"
import { SegmentGenerator } from "./SegmentGenerator.ts"

export interface ValidatedRequest {
  readonly request: LongVideoRequest
  readonly capabilities: ProviderCapabilities
  readonly size: string
  readonly durations: ReadonlyArray<number>
  readonly usdPerSecond: number
  /** Video seconds and, with `chain: keyframes`, the keyframe images. */
  readonly estimatedCostUsd: number
  /** How chained segments continue each other (`last-frame` unless asked). */
  readonly chain: Chain.Strategy
  /** The image model, when one is configured (`chain: keyframes` needs it). */
  readonly images?: ImageCapabilities | undefined
  /** `chain: keyframes`: keyframe images the run renders (and pays for), counted in the estimate. */
  readonly keyframeImages?: number | undefined
  /** Absolute path of the output directory, created if it was missing. */
  readonly outputDir: string
  /** The user's reference: an image, or (`video`) a video whose exact last frame opens segment 1 (`ReferenceVideo`). */
  readonly reference?:
    | { readonly path: string; readonly info: ImageInfo; readonly video?: VideoInfo | undefined }
    | undefined
}

const referenceMimeTypes = ["image/jpeg", "image/png", "image/webp"]

const invalid = (field: string, given: string, allowed: string, fix: string) =>
  new InvalidRequest({ field, given, allowed, fix })

const isPositiveInteger = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n > 0

/** Rounds a price to whole cents. */
export const usd = (amount: number): number => Math.round(amount * 100) / 100

/** The most seconds a run can make with this model: `maxSegments` of its longest clip. */
export const maxSeconds = (capabilities: ProviderCapabilities): number => {
  const lengths = clipLengthValues(capabilities.clipLengths)
  return maxSegments * lengths[lengths.length - 1]!
}

/** A custom split (`durations`, or a given plan's lengths) checked against the model and the other arguments. */
const checkCustomSplit = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities,
  custom: ReadonlyArray<number>
): Result.Result<ReadonlyArray<number>, InvalidRequest> => {
  const allowed = describeClipLengths(capabilities.clipLengths)
  const field = request.plan ? "plan" : "durations"
  if (custom.length === 0 || custom.length > maxSegments) {
    return Result.fail(
      invalid(
        field,
        custom.length === 0 ? "an empty list" : `${custom.length} lengths`,
        `1 to ${maxSegments} clip lengths of ${allowed}`,
        custom.length === 0 ? "Give at least one length." : `Make at most ${maxSegments} segments per run.`
      )
    )
  }
  const bad = custom.find((seconds) => !acceptsClipLength(capabilities.clipLengths, seconds))
  if (bad !== undefined) {
    return Result.fail(
      invalid(
        field,
        `${bad} s in [${custom.join(", ")}]`,
        `clip lengths of ${allowed} for ${capabilities.model}`,
        "Use only lengths the model accepts."
      )
    )
  }
  const total = custom.reduce((sum, seconds) => sum + seconds, 0)
  if (request.seconds !== undefined && request.seconds !== total) {
    return Result.fail(
      invalid(
        field,
        `[${custom.join(", ")}] = ${total} s`,
        `a split that sums to \`seconds\` = ${request.seconds}`,
        `Make the lengths add up to ${request.seconds}, or leave \`seconds\` out.`
      )
    )
  }
  if (request.numGenerations !== undefined && request.numGenerations !== custom.length) {
    return Result.fail(
      invalid(
        field,
        `${custom.length} lengths`,
        `exactly \`numGenerations\` = ${request.numGenerations} lengths`,
        "Give one length per segment, or leave `numGenerations` out."
      )
    )
  }
  return Result.succeed(custom)
}

/** The clip lengths to generate, from a custom split, a given plan, or the solver. Pure. */
export const resolveDurations = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities
): Result.Result<ReadonlyArray<number>, InvalidRequest | UnformableDuration> => {
  const lengthsProblem = clipLengthsProblem(capabilities.clipLengths)
  if (lengthsProblem !== undefined) {
    return Result.fail(
      invalid(
        "model",
        `${capabilities.model} declared with clip lengths of ${describeClipLengths(capabilities.clipLengths)}`,
        `clip lengths from 1 to ${maxClipSeconds} s`,
        `Fix the model's declared lengths: ${lengthsProblem}.`
      )
    )
  }
  const custom = request.plan ? request.plan.segments.map((segment) => segment.seconds) : request.durations
  if (request.chain === "extend" && capabilities.extension) {
    return Chain.extendDurations(request, capabilities, capabilities.extension, custom)
  }
  if (custom !== undefined) return checkCustomSplit(request, capabilities, custom)
  const most = maxSeconds(capabilities)
  if (!isPositiveInteger(request.seconds) || request.seconds > most) {
    return Result.fail(
      invalid(
        "seconds",
        String(request.seconds ?? "nothing"),
        `a whole number of seconds from 1 to ${most} for ${capabilities.model} (${maxSegments} segments of at most ${most / maxSegments} s)`,
        request.seconds === undefined
          ? "Give the total length, e.g. `seconds` 24, or a custom split with `durations`."
          : `Give a total of at most ${most} s.`
      )
    )
  }
  const count = request.numGenerations ?? 1
  if (!isPositiveInteger(count) || count > maxSegments) {
    return Result.fail(
      invalid(
        "numGenerations",
        String(count),
        `a whole number of segments from 1 to ${maxSegments}`,
        `Use \`numGenerations\` from 1 to ${maxSegments}.`
      )
    )
  }
  return DurationSolver.solve({ seconds: request.seconds, count, clipLengths: capabilities.clipLengths })
}

/** Independent mode's concurrency: a whole number of segments at once, at most one per segment. */
const checkConcurrency = (request: LongVideoRequest): Result.Result<void, InvalidRequest> => {
  const value = request.maxConcurrency
  return value === undefined || (isPositiveInteger(value) && value <= maxSegments)
    ? Result.void
    : Result.fail(
        invalid(
          "maxConcurrency",
          String(value),
          `a whole number of segments at once, from 1 to ${maxSegments}`,
          "Leave it out to use the provider's limit."
        )
      )
}

/**
 * The checks that need no I/O: prompt, model arguments, size, chain strategy, durations, transition. `keyframesMade`:
 * an earlier run of the request made every keyframe, so no image model is needed (see `Chain.check`).
 */
export const checkArguments = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities,
  images?: ImageCapabilities,
  keyframesMade = false
): Result.Result<
  { readonly size: string; readonly durations: ReadonlyArray<number>; readonly usdPerSecond: number },
  InvalidRequest | UnformableDuration
> => {
  if (request.prompt.trim().length === 0) {
    return Result.fail(
      invalid("prompt", "an empty prompt", "a description of the video", "Describe what the video shows.")
    )
  }
  if (!acceptsPrompt(capabilities, request.prompt)) {
    return Result.fail(
      invalid(
        "prompt",
        `${request.prompt.length} characters`,
        `at most ${capabilities.maxPromptLength} characters for ${capabilities.model}`,
        "Shorten the prompt."
      )
    )
  }
  if (request.planModel.trim().length === 0) {
    return Result.fail(
      invalid("planModel", "an empty name", "a Responses API model such as gpt-5", "Name a planning model.")
    )
  }
  const size = request.size ?? defaultSize(capabilities)
  const option = sizeOption(capabilities, size)
  if (!option) {
    return Result.fail(
      invalid(
        "size",
        size,
        `${orList(capabilities.sizes.map((s) => s.size))} for ${capabilities.model}`,
        "Pick one of those sizes, or a model that offers the size you want."
      )
    )
  }
  const dimensions = parseSize(size)
  if (!dimensions || Math.max(dimensions.width, dimensions.height) > maxSidePixels) {
    return Result.fail(
      invalid(
        "size",
        size,
        `WIDTHxHEIGHT with each side from 1 to ${maxSidePixels} pixels`,
        "Declare the size the model really makes, e.g. 1280x720."
      )
    )
  }
  if (request.inputReference !== undefined && firstFrameProblem(capabilities, true) === "unsupported") {
    return Result.fail(
      invalid("inputReference", request.inputReference, `no reference image for ${capabilities.model}`, "Leave it out.")
    )
  }
  // Independent segments are made at once, so only segment 1 could open on the reference.
  const chainedReference = request.inputReference !== undefined && request.mode !== "independent"
  if (firstFrameProblem(capabilities, chainedReference) === "required") {
    return Result.fail(
      invalid(
        "inputReference",
        request.inputReference ?? "none",
        `a first-frame image: ${capabilities.model} only animates an image (image-to-video), in chained mode`,
        "Give segment 1's first frame (--input-reference / inputReference), or pick a model that also makes video from text."
      )
    )
  }
  const concurrency = checkConcurrency(request)
  if (Result.isFailure(concurrency)) return Result.fail(concurrency.failure)
  const chain = Chain.check(request, capabilities, images, keyframesMade)
  if (Result.isFailure(chain)) return Result.fail(chain.failure)
  return Result.map(resolveDurations(request, capabilities), (durations) => {
    return { size, durations, usdPerSecond: option.usdPerSecond }
  }).pipe(
    Result.flatMap((checked) => {
      const transition = request.transition
      if (transition?._tag === "Crossfade" && transition.seconds >= Math.min(...checked.durations)) {
        return Result.fail(
          invalid(
            "transition",
            `crossfade of ${transition.seconds} s`,
            `a crossfade shorter than the shortest segment (${Math.min(...checked.durations)} s)`,
            "Use a shorter crossfade, e.g. 0.5 s."
          )
        )
      }
      return Result.succeed(checked)
    })
  )
}

const checkReference = Effect.fnUntraced(function* (reference: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const absolute = path.resolve(reference)
  const info = yield* fs
    .stat(absolute)
    .pipe(
      Effect.mapError(() =>
        invalid("inputReference", reference, "an existing image file", `No file at ${absolute}; check the path.`)
      )
    )
  if (info.type !== "File") {
    return yield* invalid("inputReference", reference, "an image file", `${absolute} is a ${info.type.toLowerCase()}.`)
  }
  if (yield* ReferenceVideo.isVideoFile(absolute)) {
    const video = yield* ReferenceVideo.check(reference, absolute, Number(info.size))
    return { path: absolute, info: { width: video.width, height: video.height, mimeType: "video" }, video }
  }
  const extractor = yield* FrameExtractor
  const image = yield* extractor
    .inspectImage(absolute)
    .pipe(
      Effect.mapError((error) =>
        invalid(
          "inputReference",
          reference,
          "a readable JPEG, PNG or WebP image, or a video (MP4, MOV, WebM, …)",
          `It could not be read: ${error.reason}.`
        )
      )
    )
  if (!referenceMimeTypes.includes(image.mimeType)) {
    return yield* invalid(
      "inputReference",
      `${reference} (${image.mimeType})`,
      "a JPEG, PNG or WebP image",
      "Convert the image to PNG or JPEG."
    )
  }
  // Any pixel size is fine: the image is fitted to `size` (cropped, not distorted) before upload.
  return { path: absolute, info: image }
})

/** The nearest existing ancestor of `path` (itself included). */
const nearestExisting = Effect.fnUntraced(function* (absolute: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  let current = absolute
  while (true) {
    const info = yield* fs.stat(current).pipe(Effect.option)
    if (info._tag === "Some") return { path: current, type: info.value.type }
    const parent = path.dirname(current)
    if (parent === current) return { path: current, type: "Unknown" as const }
    current = parent
  }
})

/** The file a run writes its video to, in the output directory. */
export const outputFileName = "output.mp4"

/**
 * Refuses to overwrite an `output.mp4` that is not the product of a run in this directory (no manifest
 * names it), unless `force`: it is someone's file.
 */
const checkOutputFile = Effect.fnUntraced(function* (request: LongVideoRequest, absolute: string) {
  if (request.force) return
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const output = path.join(absolute, outputFileName)
  if (!(yield* fs.exists(output).pipe(Effect.orElseSucceed(() => false)))) return
  const manifest = yield* Manifest.read(absolute).pipe(Effect.orElseSucceed(() => Option.none<Manifest.Manifest>()))
  const claimed = Option.isSome(manifest) && manifest.value.output !== null
  if (claimed && path.resolve(absolute, manifest.value.output!) === output) return
  return yield* invalid(
    "outputDir",
    `${request.outputDir} (its ${outputFileName} was not made by a LongSora run there)`,
    `a directory without an ${outputFileName} of its own`,
    `Move ${output} away, choose another \`outputDir\`, or pass \`force\` to overwrite it.`
  )
})

/** Checks the output directory; creates it when `create`, else only checks it could be created. */
const prepareOutputDir = Effect.fnUntraced(function* (request: LongVideoRequest, create: boolean) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const outputDir = request.outputDir
  const absolute = path.resolve(outputDir)
  const existing = yield* nearestExisting(absolute)
  if (existing.type !== "Directory") {
    return yield* invalid(
      "outputDir",
      outputDir,
      "a directory (new or existing)",
      `${existing.path} exists and is not a directory; choose another output directory.`
    )
  }
  yield* fs
    .access(existing.path, { writable: true })
    .pipe(
      Effect.mapError(() =>
        invalid(
          "outputDir",
          outputDir,
          "a writable directory",
          `${existing.path} is not writable; choose another directory.`
        )
      )
    )
  if (existing.path === absolute) yield* checkOutputFile(request, absolute)
  if (create) {
    yield* fs
      .makeDirectory(absolute, { recursive: true })
      .pipe(
        Effect.mapError(() =>
          invalid(
            "outputDir",
            outputDir,
            "a directory you can create",
            `Could not create ${absolute}; check permissions.`
          )
        )
      )
  }
  return absolute
})

export interface ValidateOptions {
  /** Create the output directory (a real run) or only check that it could be (a dry run). */
  readonly createOutputDir: boolean
}

/** Validates a request completely; nothing is billed before this succeeds. */
export const validate = Effect.fn("Validation.validate")(function* (
  request: LongVideoRequest,
  options: ValidateOptions = { createOutputDir: true }
) {
  const generator = yield* SegmentGenerator
  const capabilities = yield* generator.capabilities(request.model)
  const images = Option.getOrUndefined(yield* Effect.serviceOption(KeyframeGenerator))?.capabilities
  const keyframesMade =
    images === undefined &&
    request.chain === "keyframes" &&
    !request.restart &&
    (yield* ChainKeyframes.allMade(request.outputDir, request.inputReference !== undefined))
  const checked = yield* Effect.fromResult(checkArguments(request, capabilities, images, keyframesMade))
  // Both checks start processes (ffprobe, ffmpeg): run them side by side, and report the first failure in this
  // order whatever finishes first. The output directory is created only once they pass.
  const [referenceResult, preflightResult] = yield* Effect.all(
    [request.inputReference === undefined ? Effect.void : checkReference(request.inputReference), preflight],
    { concurrency: 2, mode: "result" }
  )
  const reference = yield* Effect.fromResult(referenceResult)
  yield* Effect.fromResult(preflightResult)
  yield* Effect.fromResult(ReferenceVideo.checkUse(request, capabilities, reference?.video))
  const outputDir = yield* prepareOutputDir(request, options.createOutputDir)
  const seconds = checked.durations.reduce((sum, s) => sum + s, 0)
  const chain = request.chain ?? Chain.defaultStrategy
  const keyframeImages =
    chain === "keyframes" && request.mode !== "independent"
      ? Chain.keyframesToRender(checked.durations, reference !== undefined)
      : 0
  const keyframeCost = keyframeImages * (images?.usdPerImage ?? 0)
  const validated: ValidatedRequest = {
    request,
    capabilities,
    size: checked.size,
    durations: checked.durations,
    usdPerSecond: checked.usdPerSecond,
    estimatedCostUsd: usd(seconds * checked.usdPerSecond + keyframeCost),
    chain,
    ...(images ? { images } : {}),
    ...(keyframeImages > 0 ? { keyframeImages } : {}),
    outputDir,
    ...(reference ? { reference } : {})
  }
  return validated
})

/** The local tools the run needs, checked before any paid call. */
export const preflight: Effect.Effect<void, MissingDependency, FrameExtractor | Combiner> = Effect.gen(function* () {
  const extractor = yield* FrameExtractor
  const combiner = yield* Combiner
  yield* extractor.preflight
  yield* combiner.preflight
})
