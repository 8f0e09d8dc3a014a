/**
 * Every way a long-video run can fail, as tagged errors that carry what a user needs to fix it:
 * the argument, what was given, what is allowed, and what to do instead.
 */
import { Schema } from "effect"

/** A request argument that cannot work; raised before anything is billed. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  /** The argument, in the request's own spelling (`seconds`, `size`, `inputReference`, …). */
  field: Schema.String,
  given: Schema.String,
  allowed: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `Invalid ${this.field}: ${this.given}. Allowed: ${this.allowed}. ${this.fix}`
  }
}

/** A total that cannot be split into exactly `count` clips of the provider's lengths. */
export class UnformableDuration extends Schema.TaggedError<UnformableDuration>()("UnformableDuration", {
  seconds: Schema.Int,
  count: Schema.Int,
  clipLengths: Schema.String,
  /** The nearest totals that do work with `count` clips (below and above). */
  nearestTotals: Schema.Array(Schema.Int),
  /** The clip counts that do work for `seconds`. */
  validCounts: Schema.Array(Schema.Int)
}) {
  override get message(): string {
    const totals = this.nearestTotals.length > 0 ? `seconds ${this.nearestTotals.join(" or ")}` : ""
    const counts = this.validCounts.length > 0 ? `numGenerations ${summarizeCounts(this.validCounts)}` : ""
    const options = [totals && `${totals} with ${this.count} segments`, counts && `${counts} for ${this.seconds} s`]
      .filter(Boolean)
      .join("; or ")
    return (
      `Invalid seconds: ${this.seconds} s cannot be made of exactly ${this.count} clips of ${this.clipLengths}.` +
      (options ? ` Try ${options}.` : "")
    )
  }
}

const summarizeCounts = (counts: ReadonlyArray<number>): string =>
  counts.length > 6
    ? `${counts[0]}–${counts[counts.length - 1]} (e.g. ${counts.slice(0, 3).join(", ")})`
    : counts.join(", ")

/** The provider does not know the requested model. */
export class UnknownModel extends Schema.TaggedError<UnknownModel>()("UnknownModel", {
  model: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return (
      `Invalid model: "${this.model}" is not known to this provider. Allowed: ${this.known.join(", ")}.` +
      " Pick one of those, or declare the model's capabilities for your gateway."
    )
  }
}

/** A tool the run needs (ffmpeg, ffprobe, …) is missing or too old; raised before any paid call. */
export class MissingDependency extends Schema.TaggedError<MissingDependency>()("MissingDependency", {
  dependency: Schema.String,
  detail: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `${this.dependency} is not usable: ${this.detail}. ${this.fix}`
  }
}

/** The planner could not produce a usable plan. */
export class PlannerError extends Schema.TaggedError<PlannerError>()("PlannerError", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `Planning failed: ${this.reason}`
  }
}

/**
 * A segment could not be generated. `jobId` is set once the provider accepted the job, so a later
 * run can pick it up instead of paying again.
 */
export class GenerationError extends Schema.TaggedError<GenerationError>()("GenerationError", {
  segment: Schema.Int,
  jobId: Schema.optional(Schema.String),
  /** `rejected`: the provider refused the input (fix it); `failed`: the job failed; `unavailable`: transport. */
  kind: Schema.Literals(["rejected", "failed", "moderation", "unavailable", "timeout", "gone"]),
  reason: Schema.String,
  fix: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const job = this.jobId ? ` (job ${this.jobId})` : ""
    return `Segment ${this.segment}${job} ${this.kind}: ${this.reason}${this.fix ? ` ${this.fix}` : ""}`
  }
}

/** A frame or image could not be read, extracted or resized. */
export class FrameError extends Schema.TaggedError<FrameError>()("FrameError", {
  path: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `Frame error on ${this.path}: ${this.reason}`
  }
}

/** The segments could not be joined. */
export class CombineError extends Schema.TaggedError<CombineError>()("CombineError", {
  output: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `Joining into ${this.output} failed: ${this.reason}`
  }
}

/** Reading or writing the output directory failed. */
export class OutputError extends Schema.TaggedError<OutputError>()("OutputError", {
  path: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `Output error on ${this.path}: ${this.reason}`
  }
}

/** The output directory holds a run of a different request; resuming it would mix two videos. */
export class RunConflict extends Schema.TaggedError<RunConflict>()("RunConflict", {
  outputDir: Schema.String,
  changed: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return (
      `Invalid outputDir: ${this.outputDir} holds an unfinished or finished run of a different request ` +
      `(changed: ${this.changed.join(", ")}). Start over with restart (--restart), or use another output directory.`
    )
  }
}

export type LongVideoError =
  | InvalidRequest
  | UnformableDuration
  | UnknownModel
  | MissingDependency
  | PlannerError
  | GenerationError
  | FrameError
  | CombineError
  | OutputError
  | RunConflict
