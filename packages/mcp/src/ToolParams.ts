/**
 * What each tool takes, as schemas a model can fill in: the JSON Schema it is shown is compiled from
 * these, and its arguments are decoded with them (a mismatch is an `invalid params` error naming the
 * argument). The request fields use the SDK's names (`createVideo`), so one vocabulary serves both.
 */
import { LongVideoRequest, Plan } from "@longsora/core"
import { Schema } from "effect"

/** A run's name: a directory under the server's runs directory, and the run's identity. */
export const RunName = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)).annotate({
  description:
    "The run's name: its directory under the server's runs directory (letters, digits, '.', '_', '-'). " +
    "The same request under the same name resumes instead of paying again."
})

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** The request fields shared by plan, estimate and generate. */
export const requestFields = {
  prompt: Schema.NonEmptyString.annotate({
    description: "What the video shows; it is also segment 1's prompt. Later segments continue the story."
  }),
  seconds: Schema.optionalKey(
    PositiveInt.annotate({ description: "Total length in seconds, split into clips the model accepts" })
  ),
  numGenerations: Schema.optionalKey(PositiveInt.annotate({ description: "Number of segments (default 3)" })),
  durations: Schema.optionalKey(
    Schema.Array(PositiveInt).annotate({
      description: "A custom split in seconds, e.g. [12, 8, 4] (instead of seconds/numGenerations)"
    })
  ),
  model: Schema.optionalKey(
    Schema.String.annotate({
      description: "Video model (default sora-2), or an AI SDK provider's, e.g. google:veo-3.1-generate-preview"
    })
  ),
  planModel: Schema.optionalKey(
    Schema.String.annotate({
      description: "Model that writes the plan (default gpt-5), or an AI SDK provider's, e.g. google:gemini-2.5-flash"
    })
  ),
  size: Schema.optionalKey(
    Schema.String.annotate({ description: "WIDTHxHEIGHT, e.g. 1280x720 (default: the model's first size)" })
  ),
  transition: Schema.optionalKey(
    Schema.String.annotate({
      description: "How segments meet: cut, keep, crossfade or crossfade:SECONDS (default cut when chained)"
    })
  ),
  mode: Schema.optionalKey(
    Schema.Literals(["chained", "independent"]).annotate({
      description: "chained (default): each segment starts from the previous last frame; independent: all at once"
    })
  ),
  chain: Schema.optionalKey(
    LongVideoRequest.ChainStrategy.annotate({
      description:
        "Chained: how each segment continues the previous. last-frame (default): from its last frame; extend: the " +
        "provider extends its own clip (models that extend, e.g. sora-2, google:veo-3.1-generate-preview); keyframes: " +
        "keyframe images first, then every segment at once between two (first+last-frame models, e.g. Veo): exact seams"
    })
  ),
  imageModel: Schema.optionalKey(
    Schema.String.annotate({
      description:
        "With chain keyframes: the image model for the keyframes (default gpt-image-1.5; or e.g. google:gemini-2.5-flash-image)"
    })
  ),
  plan: Schema.optionalKey(
    Plan.Plan.annotate({
      description:
        "A plan to use as it is (e.g. one returned by the plan tool, edited): brief and one prompt per segment"
    })
  )
}

export const PlanParams = Schema.Struct(requestFields)
export type PlanParams = typeof PlanParams.Type

export const EstimateParams = PlanParams
export type EstimateParams = PlanParams

export const GenerateParams = Schema.Struct({
  ...requestFields,
  run: Schema.optionalKey(RunName),
  confirm: Schema.optionalKey(
    Schema.Boolean.annotate({
      description: "Accept the estimated cost when it is above the server's confirmation threshold"
    })
  ),
  restart: Schema.optionalKey(
    Schema.Boolean.annotate({
      description: "Discard an earlier run under this name and start over (finished segments are billed again)"
    })
  ),
  recreateLost: Schema.optionalKey(
    Schema.Boolean.annotate({
      description:
        "Resuming a run whose segment's create was sent but never answered (a crash): create that segment anew. " +
        "It may already be billed: use only after checking the provider's console shows no such job"
    })
  )
})
export type GenerateParams = typeof GenerateParams.Type

export const StatusParams = Schema.Struct({
  run: Schema.optionalKey(RunName.annotate({ description: "The run to report on (default: the most recent one)" })),
  watch: Schema.optionalKey(
    Schema.Boolean.annotate({
      description:
        "Wait while the run works, sending MCP progress notifications (pass a progressToken), and answer when it ends or waitSeconds pass"
    })
  ),
  waitSeconds: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600 })).annotate({
      description: "With watch: the longest wait before answering (default 300)"
    })
  )
})
export type StatusParams = typeof StatusParams.Type

export const InspectParams = Schema.Struct({
  run: RunName.annotate({ description: "A finished run to check" })
})
export type InspectParams = typeof InspectParams.Type

export const RegenerateParams = Schema.Struct({
  run: RunName.annotate({ description: "A finished run" }),
  segment: PositiveInt.annotate({
    description: "The segment to make again (1-based); in chained mode the segments after it are made again too"
  }),
  prompt: Schema.optionalKey(
    Schema.NonEmptyString.annotate({
      description: "A new prompt for the segment (segment 2 or later, of a run whose plan the planner wrote)"
    })
  ),
  confirm: Schema.optionalKey(
    Schema.Boolean.annotate({
      description: "Accept the estimated cost when it is above the server's confirmation threshold"
    })
  )
})
export type RegenerateParams = typeof RegenerateParams.Type
