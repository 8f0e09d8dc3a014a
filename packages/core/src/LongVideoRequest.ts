/** The long-video request, as front-ends hand it to the orchestration program. */
import { Schema } from "effect"
import { Plan } from "./Plan.ts"
import { crossfade, cut, defaultCrossfadeSeconds, Transition } from "./Transition.ts"

export const Mode = Schema.Literals(["chained", "independent"])
export type Mode = typeof Mode.Type

export class LongVideoRequest extends Schema.Class<LongVideoRequest>("@longsora/core/LongVideoRequest")({
  prompt: Schema.String,
  model: Schema.String,
  /** Total length in seconds; may be left out when `durations` is given. */
  seconds: Schema.optionalKey(Schema.Number),
  /** How many segments; may be left out when `durations` is given. */
  numGenerations: Schema.optionalKey(Schema.Number),
  /** A custom split such as `[12, 8, 4]`; each length must be one the model accepts. */
  durations: Schema.optionalKey(Schema.Array(Schema.Number)),
  /** `WIDTHxHEIGHT`; defaults to the model's first size. */
  size: Schema.optionalKey(Schema.String),
  /** Path of an image that becomes the first frame of segment 1. */
  inputReference: Schema.optionalKey(Schema.String),
  planModel: Schema.String,
  /** A plan to use as it is instead of asking the planner. */
  plan: Schema.optionalKey(Plan),
  outputDir: Schema.String,
  saveSegments: Schema.Boolean,
  transition: Schema.optionalKey(Transition),
  mode: Schema.optionalKey(Mode),
  /** Independent mode: how many segments render at once, 1 to `maxSegments` (default: the provider's limit). */
  maxConcurrency: Schema.optionalKey(Schema.Number),
  /** Discard an earlier run's manifest in `outputDir` instead of resuming it. */
  restart: Schema.optionalKey(Schema.Boolean),
  /** Overwrite an `output.mp4` in `outputDir` that no LongSora run there made (refused otherwise). */
  force: Schema.optionalKey(Schema.Boolean)
}) {}

/**
 * The most segments one run makes: an hour of Sora 2's 12 s clips. A plan is written, rendered and joined
 * segment by segment; this bounds every count and total a request can ask for, and the duration solver's work.
 */
export const maxSegments = 300

/** The defaults the original Python client uses. */
export const defaults = {
  model: "sora-2",
  numGenerations: 3,
  planModel: "gpt-5",
  saveSegments: true,
  outputDir: "longsora-output"
} as const

/**
 * The transition in effect: the one asked for, else a cut for chained segments (they share the seam
 * frame exactly) and a short crossfade for independent ones (nothing ties their edges together).
 */
export const transitionFor = (request: LongVideoRequest): Transition =>
  request.transition ?? ((request.mode ?? "chained") === "chained" ? cut : crossfade(defaultCrossfadeSeconds))
