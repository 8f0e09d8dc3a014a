/**
 * How chained segments continue one another, and which models can do it. Each strategy has its own
 * module with the whole story in one place:
 *
 * - `last-frame` (`ChainLastFrame`): segment k+1 starts from segment k's last frame. Any model that
 *   takes a first-frame image; segments render one after another; motion restarts at each seam.
 * - `extend` (`ChainExtend`): the provider continues its own clip (the model sees the motion, not one
 *   still) and returns the stitched video. Models whose capabilities declare `extension`.
 * - `keyframes` (`ChainKeyframes`): an image model renders every seam first; then all segments
 *   render at once, each from keyframe i to keyframe i+1. Models that take a first and a last frame.
 */
import { Effect, Result, type Scope } from "effect"
import * as Anchor from "./Anchor.ts"
import {
  acceptsClipLength,
  clipLengthValues,
  describeClipLengths,
  type Extension,
  orList,
  type ProviderCapabilities
} from "./Capabilities.ts"
import { Combiner } from "./Combiner.ts"
import type { DriftExceeded } from "./Drift.ts"
import * as DurationSolver from "./DurationSolver.ts"
import { type FrameError, InvalidRequest, type UnformableDuration } from "./Errors.ts"
import type { ImageCapabilities } from "./KeyframeGenerator.ts"
import type { ChainStrategy, LongVideoRequest } from "./LongVideoRequest.ts"
import type * as Manifest from "./Manifest.ts"
import type { Plan } from "./Plan.ts"
import type * as Planning from "./Planning.ts"
import type * as SegmentRunner from "./SegmentRunner.ts"
import type { Transition } from "./Transition.ts"
import type { ValidatedRequest } from "./Validation.ts"

export type Strategy = ChainStrategy

export const defaultStrategy: Strategy = "last-frame"

/** The strategies a model's capabilities allow, in the order a user would try them. */
export const supportedBy = (capabilities: ProviderCapabilities): ReadonlyArray<Strategy> => [
  "last-frame",
  ...(capabilities.extension ? (["extend"] as const) : []),
  ...(capabilities.firstFrameImage && capabilities.lastFrameImage ? (["keyframes"] as const) : [])
]

/** Keyframes mode renders one image per seam plus both ends. */
export const keyframeCount = (durations: ReadonlyArray<number>): number => durations.length + 1

/** Keyframe images a keyframes run pays for: all of them, less keyframe 0 when the user's reference is it. */
export const keyframesToRender = (durations: ReadonlyArray<number>, hasReference: boolean): number =>
  keyframeCount(durations) - (hasReference ? 1 : 0)

const invalid = (field: string, given: string, allowed: string, fix: string) =>
  new InvalidRequest({ field, given, allowed, fix })

/**
 * Whether the request's strategy can run on this model (and, for keyframes, with an image model, unless
 * `keyframesMade`: every keyframe is already on disk from an earlier run of the request).
 */
export const check = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities,
  images: ImageCapabilities | undefined,
  keyframesMade = false
): Result.Result<void, InvalidRequest> => {
  const chain = request.chain
  if (chain === undefined || chain === defaultStrategy) return Result.void
  if (request.mode === "independent") {
    return Result.fail(
      invalid(
        "chain",
        chain,
        "a chain strategy only in chained mode",
        "Leave out `chain`, or `mode` independent (segments that do not continue each other)."
      )
    )
  }
  const supported = supportedBy(capabilities)
  if (!supported.includes(chain)) {
    const why =
      chain === "extend"
        ? `${capabilities.model} declares no native extension`
        : `${capabilities.model} does not take both a first and a last frame`
    return Result.fail(
      invalid(
        "chain",
        chain,
        `${orList(supported)} for ${capabilities.model} (${why})`,
        chain === "extend"
          ? "Use one of those, or a model that extends its clips (e.g. sora-2, sora-2-pro, google:veo-3.1-generate-preview)."
          : "Use one of those, or a model that takes a first and a last frame (e.g. google:veo-3.1-generate-preview)."
      )
    )
  }
  if (chain === "keyframes" && images === undefined && !keyframesMade) {
    return Result.fail(
      invalid(
        "chain",
        chain,
        `${orList(supported.filter((s) => s !== "keyframes"))} without an image model`,
        "Configure an image model for the keyframes (the CLI and SDK use the OpenAI Images API: set OPENAI_API_KEY, or run --offline), or use another strategy."
      )
    )
  }
  return Result.void
}

/**
 * The split for `extend`: a first clip of the model's lengths, then extension steps of the
 * extension's lengths, within its step and total limits. `custom` is a split given by the user.
 */
export const extendDurations = (
  request: LongVideoRequest,
  capabilities: ProviderCapabilities,
  extension: Extension,
  custom: ReadonlyArray<number> | undefined
): Result.Result<ReadonlyArray<number>, InvalidRequest | UnformableDuration> => {
  const most = Math.min(
    extension.maxTotalSeconds,
    (clipLengthValues(capabilities.clipLengths).at(-1) ?? 0) +
      extension.maxExtensions * (clipLengthValues(extension.clipLengths).at(-1) ?? 0)
  )
  const limits = `a first clip of ${describeClipLengths(capabilities.clipLengths)}, then at most ${extension.maxExtensions} extensions of ${describeClipLengths(extension.clipLengths)}, ${extension.maxTotalSeconds} s in all`
  const count = custom?.length ?? request.numGenerations ?? 1
  if (!Number.isInteger(count) || count < 1 || count > extension.maxExtensions + 1) {
    return Result.fail(
      invalid(
        custom ? (request.plan ? "plan" : "durations") : "numGenerations",
        `${count} segments`,
        `1 to ${extension.maxExtensions + 1} segments with \`chain\` extend on ${capabilities.model} (${limits})`,
        "Make fewer, longer segments, or use `chain` last-frame for more."
      )
    )
  }
  if (custom) {
    const [first, ...steps] = custom
    const badFirst = first !== undefined && !acceptsClipLength(capabilities.clipLengths, first)
    const badStep = steps.find((s) => !acceptsClipLength(extension.clipLengths, s))
    const total = custom.reduce((sum, s) => sum + s, 0)
    if (badFirst || badStep !== undefined || total > extension.maxTotalSeconds) {
      return Result.fail(
        invalid(
          request.plan ? "plan" : "durations",
          `[${custom.join(", ")}]`,
          `${limits} for ${capabilities.model}`,
          "Use only lengths the model accepts."
        )
      )
    }
    if (request.seconds !== undefined && request.seconds !== total) {
      return Result.fail(
        invalid(
          request.plan ? "plan" : "durations",
          `[${custom.join(", ")}] = ${total} s`,
          `a split that sums to \`seconds\` = ${request.seconds}`,
          `Make the lengths add up to ${request.seconds}, or leave \`seconds\` out.`
        )
      )
    }
    return Result.succeed(custom)
  }
  const seconds = request.seconds
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > most) {
    return Result.fail(
      invalid(
        "seconds",
        String(seconds ?? "nothing"),
        `a whole number of seconds from 1 to ${most} with \`chain\` extend on ${capabilities.model} (${limits})`,
        seconds === undefined ? "Give the total length, e.g. `seconds` 40." : `Give a total of at most ${most} s.`
      )
    )
  }
  return DurationSolver.solveExtended({
    seconds,
    count,
    first: capabilities.clipLengths,
    extension: extension.clipLengths,
    maxCount: extension.maxExtensions + 1,
    maxSeconds: extension.maxTotalSeconds
  })
}

/** What every strategy works with; built once by `LongVideo.generate`. */
export interface Context {
  readonly validated: ValidatedRequest
  readonly store: Manifest.Store
  readonly segments: SegmentRunner.Runner
  /** The run's plan (made and recorded on first use; run it once). */
  readonly plan: ReturnType<typeof Planning.make>
  /** Segment 1's first frame, fitted to the size: the user's reference image, or their video's last frame. */
  readonly firstReference: string | undefined
  /** Segment 1's prompt: the user's (or a given plan's), known before planning. */
  readonly firstPrompt: string
  /** Who wrote segment k's prompt, for the advice on a refused one. */
  readonly promptBy: (segment: number) => SegmentRunner.Run["promptBy"]
  readonly transition: Transition
  /** Where keyframe images go (beside the segments). */
  readonly segmentsDir: string
  /** Scratch space removed at the end of the run. */
  readonly workDir: string
  /** Measures a finished segment's drift before a later one that follows it is paid for (`maxDrift`). */
  readonly checkDrift: (segment: number, clip: string) => Effect.Effect<void, DriftExceeded | FrameError>
  /** Starts the audio blend of the output's first segments (joined files, in order) while later ones render. */
  readonly prepareAudio: (segments: ReadonlyArray<string>) => Effect.Effect<void, never, Scope.Scope>
}

/**
 * For strategies whose segments finish in any order (independent, keyframes): the step to run as each clip is whole.
 * It starts what the join needs of that clip, and the audio blend of every clip up to the first one still rendering,
 * so the end of the run finds that work done (`ChainLastFrame` does the same one segment at a time).
 */
export const prepareAsFinished = (context: Context) => {
  const joined: Array<string | undefined> = []
  let blended = 0
  return (segment: number, outcome: SegmentRunner.Outcome): Effect.Effect<void, never, Combiner | Scope.Scope> =>
    Effect.gen(function* () {
      const combiner = yield* Combiner
      const file = Anchor.joinedFile(outcome.clip.path, outcome.anchor)
      joined[segment - 1] = file
      if (segment > 1) yield* Effect.forkScoped(combiner.prepare(file, context.transition))
      let ready = blended
      while (joined[ready] !== undefined) ready++
      if (ready === blended) return
      blended = ready
      yield* Effect.forkScoped(context.prepareAudio(joined.slice(0, ready) as Array<string>))
    })
}

/** What a strategy made: the plan and every segment, in order. */
export interface Chained {
  readonly plan: Plan
  readonly outcomes: ReadonlyArray<SegmentRunner.Outcome>
  /** The provider's stitched video of every segment (`extend`): nothing left to join. */
  readonly stitched?: string | undefined
  /** Keyframe images paid for (`keyframes`), counted in the cost. */
  readonly keyframesBilled?: number | undefined
}
