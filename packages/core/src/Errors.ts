/**
 * Every way a long-video run can fail, as tagged errors that carry what a user needs to fix it:
 * the argument, what was given, what is allowed, and what to do instead.
 */
import { Schema } from "effect"

/**
 * How a front-end names the request's fields to its users: the SDK by field (`numGenerations`), the
 * CLI by the flag that sets it (`--segments`). Errors keep field names in their data; the texts mention
 * other fields in backticks (`` `seconds` ``), which `format` replaces with these names.
 */
export type FieldNames = (field: string) => string

/** The SDK's names: the request's own fields. */
export const fieldNames: FieldNames = (field) => field

/** Replaces every `` `field` `` in `text` with the reader's name for that field. */
export const nameFields = (text: string, names: FieldNames): string =>
  text.replace(/`([A-Za-z][\w-]*)`/g, (_, field: string) => names(field))

/** `text` ending in a full stop (or the `!`/`?` it already has), for joining sentences. */
export const sentence = (text: string): string => {
  const trimmed = text.trimEnd()
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/** A request argument that cannot work; raised before anything is billed. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  /** The argument, in the request's own spelling (`seconds`, `size`, `inputReference`, …). */
  field: Schema.String,
  given: Schema.String,
  allowed: Schema.String,
  fix: Schema.String
}) {
  /** The message with each field named as the reader knows it (`fieldNames` for the SDK). */
  format(names: FieldNames): string {
    return nameFields(
      `Invalid ${names(this.field)}: ${this.given}. Allowed: ${this.allowed}. ${sentence(this.fix)}`,
      names
    )
  }

  override get message(): string {
    return this.format(fieldNames)
  }
}

/** A total that cannot be split into exactly `count` clips of the provider's lengths. */
export class UnformableDuration extends Schema.TaggedError<UnformableDuration>()("UnformableDuration", {
  /** Whole seconds as given (truncated; 0 when not finite). */
  seconds: Schema.Finite,
  count: Schema.Finite,
  clipLengths: Schema.String,
  /** The nearest totals that do work with `count` clips (below and above). */
  nearestTotals: Schema.Array(Schema.Int),
  /** The clip counts that do work for `seconds`. */
  validCounts: Schema.Array(Schema.Int)
}) {
  format(names: FieldNames): string {
    const totals = this.nearestTotals.length > 0 ? `${names("seconds")} ${this.nearestTotals.join(" or ")}` : ""
    const counts = this.validCounts.length > 0 ? `${names("numGenerations")} ${summarizeCounts(this.validCounts)}` : ""
    const options = [totals && `${totals} with ${this.count} segments`, counts && `${counts} for ${this.seconds} s`]
      .filter(Boolean)
      .join("; or ")
    return (
      `Invalid ${names("seconds")}: ${this.seconds} s cannot be made of exactly ${this.count} clips of ${this.clipLengths}.` +
      (options ? ` Try ${options}.` : "")
    )
  }

  override get message(): string {
    return this.format(fieldNames)
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
  /**
   * `rejected`: the provider refused the input (fix it); `failed`/`moderation`: the job failed;
   * `unavailable`: transport; `timeout`: still running at the deadline; `gone`: the provider no
   * longer knows the job (forgotten, expired), so it can only be created again.
   */
  kind: Schema.Literals(["rejected", "failed", "moderation", "unavailable", "timeout", "gone"]),
  reason: Schema.String,
  fix: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const job = this.jobId ? ` (job ${this.jobId})` : ""
    return `Segment ${this.segment}${job} ${this.kind}: ${sentence(this.reason)}${this.fix ? ` ${sentence(this.fix)}` : ""}`
  }
}

/** A keyframe image (`chain: keyframes`) could not be made. */
export class KeyframeError extends Schema.TaggedError<KeyframeError>()("KeyframeError", {
  /** 0-based: keyframe `i` opens segment `i + 1` and closes segment `i`. */
  index: Schema.Int,
  /** The image model that was asked, when known. */
  model: Schema.optional(Schema.String),
  /** The provider's request id, when it answered with one (for support). */
  requestId: Schema.optional(Schema.String),
  /** `rejected`: the input was refused (fix it); `failed`: the call failed; `unavailable`: transport. */
  kind: Schema.Literals(["rejected", "failed", "unavailable"]),
  reason: Schema.String,
  fix: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const model = this.model ? ` (${this.model}${this.requestId ? `, request ${this.requestId}` : ""})` : ""
    return `Keyframe ${this.index}${model} ${this.kind}: ${sentence(this.reason)}${this.fix ? ` ${sentence(this.fix)}` : ""}`
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
  format(names: FieldNames): string {
    return (
      `Invalid ${names("outputDir")}: ${this.outputDir} holds an unfinished or finished run of a different request ` +
      `(changed: ${this.changed.map(names).join(", ")}). Start over with ${names("restart")}, or use another output directory.`
    )
  }

  override get message(): string {
    return this.format(fieldNames)
  }
}

/** Another process is running in the same output directory; two runs there would pay twice. */
export class RunLocked extends Schema.TaggedError<RunLocked>()("RunLocked", {
  outputDir: Schema.String,
  pid: Schema.Int,
  host: Schema.String,
  /** When the other run took the directory (epoch ms). */
  startedAt: Schema.Finite,
  lockFile: Schema.String
}) {
  override get message(): string {
    const since = new Date(this.startedAt).toISOString()
    return (
      `Invalid outputDir: ${this.outputDir} is in use by another LongSora run (pid ${this.pid} on ${this.host}, ` +
      `since ${since}). Wait for it to finish or stop it, or use another output directory; if that process is ` +
      `surely gone, delete ${this.lockFile}.`
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
  | KeyframeError
  | FrameError
  | CombineError
  | OutputError
  | RunConflict
  | RunLocked
