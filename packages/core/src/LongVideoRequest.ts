/** The long-video request, as front-ends hand it to the orchestration program. */
import { Schema } from "effect"
import { AnchorMode } from "./Anchor.ts"
import { AudioSeamMode } from "./AudioSeam.ts"
import { opensOnImage, type ProviderCapabilities } from "./Capabilities.ts"
import { Plan } from "./Plan.ts"
import { crossfade, cut, defaultCrossfadeSeconds, Transition } from "./Transition.ts"

export const Mode = Schema.Literals(["chained", "independent"])
export type Mode = typeof Mode.Type

/**
 * How chained segments continue one another (see `Chain`): `last-frame` (default), each from the
 * previous clip's last frame; `extend`, the provider extends its own clip; `keyframes`, every
 * segment at once between keyframe images rendered first.
 */
export const ChainStrategy = Schema.Literals(["last-frame", "extend", "keyframes"])
export type ChainStrategy = typeof ChainStrategy.Type

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
  /**
   * Path of an image that becomes the first frame of segment 1, or of a video to continue: its exact
   * last frame becomes segment 1's first frame (see `ReferenceVideo`).
   */
  inputReference: Schema.optionalKey(Schema.String),
  /** With a video `inputReference`: the output starts with that clip, then the generated segments. */
  includeReference: Schema.optionalKey(Schema.Boolean),
  planModel: Schema.String,
  /** A plan to use as it is instead of asking the planner. */
  plan: Schema.optionalKey(Plan),
  outputDir: Schema.String,
  saveSegments: Schema.Boolean,
  transition: Schema.optionalKey(Transition),
  mode: Schema.optionalKey(Mode),
  /** Chained mode: how each segment continues the previous one (default `last-frame`). */
  chain: Schema.optionalKey(ChainStrategy),
  /** Independent and keyframes modes: how many segments render at once, 1 to `maxSegments` (default: the provider's limit). */
  maxConcurrency: Schema.optionalKey(Schema.Number),
  /** Discard an earlier run's manifest in `outputDir` instead of resuming it. */
  restart: Schema.optionalKey(Schema.Boolean),
  /** How many times a segment whose job failed is created again in the same run (default 0; each is billed). */
  retryFailed: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /**
   * When an earlier run's create lost its answer and the provider cannot prove which job it made,
   * create the segment anew (billed again) instead of stopping with the candidates listed.
   */
  recreateLost: Schema.optionalKey(Schema.Boolean),
  /** Overwrite an `output.mp4` in `outputDir` that no LongSora run there made (refused otherwise). */
  force: Schema.optionalKey(Schema.Boolean),
  /** Chained mode: which frame the next segment starts from, `last` (default) or the `best` of the final second. */
  anchor: Schema.optionalKey(AnchorMode),
  /** Chained mode: stop before creating more segments once one's look drifts this far from segment 1 (0–1). */
  maxDrift: Schema.optionalKey(Schema.Finite),
  /** `blend` (default): crossfade the audio at every seam over `audioSeamSeconds`; `hard`: leave it cut. */
  audioSeam: Schema.optionalKey(AudioSeamMode),
  /** The audio blend's length in seconds (default 0.03). */
  audioSeamSeconds: Schema.optionalKey(Schema.Finite)
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
 * The transition in effect: the one asked for, else a cut for chained segments whose model opens a
 * clip exactly on its first-frame image (they share the seam frame), and a short crossfade for
 * independent ones and for models that take the image only as conditioning (a cut there would drop
 * a real frame and show a jump).
 */
export const transitionFor = (request: LongVideoRequest, capabilities?: ProviderCapabilities): Transition =>
  request.transition ??
  ((request.mode ?? "chained") === "chained" &&
  (request.chain === "extend" || capabilities === undefined || opensOnImage(capabilities))
    ? cut
    : crossfade(defaultCrossfadeSeconds))
