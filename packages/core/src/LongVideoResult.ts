/** What a finished run produced, where it is, and what it cost. */
import { Schema } from "effect"
import { AnchorChoice } from "./Anchor.ts"
import { DriftFigures } from "./Drift.ts"
import { Plan } from "./Plan.ts"

export class SegmentResult extends Schema.Class<SegmentResult>("@longsora/core/SegmentResult")({
  /** 1-based position in the video. */
  index: Schema.Int,
  jobId: Schema.String,
  prompt: Schema.String,
  seconds: Schema.Int,
  /** The clip; removed after the join unless segments are saved. */
  path: Schema.String,
  /** The clip's last frame, resized to the request's size; absent for the last segment unless saved. */
  lastFrame: Schema.optionalKey(Schema.String),
  /** Whether the reference for this segment had to be cropped to the requested aspect. */
  referenceCropped: Schema.Boolean,
  /** With `anchor: best`: the frame the next segment starts from, and the trimmed copy the output uses. */
  anchor: Schema.optionalKey(AnchorChoice),
  /** With `maxDrift`: how far this segment's look moved from segment 1's. */
  drift: Schema.optionalKey(DriftFigures),
  /** Which version of the segment the output uses (absent: the first). */
  version: Schema.optionalKey(Schema.Int)
}) {}

/** A job that was paid for and replaced by a new create of its segment. */
export class ReplacedJob extends Schema.Class<ReplacedJob>("@longsora/core/ReplacedJob")({
  segment: Schema.Int,
  jobId: Schema.String,
  /** `failed`: the job failed; `gone`: the server no longer knew it. */
  reason: Schema.Literals(["failed", "gone"]),
  seconds: Schema.Int
}) {}

export class LongVideoResult extends Schema.Class<LongVideoResult>("@longsora/core/LongVideoResult")({
  output: Schema.String,
  durations: Schema.Array(Schema.Int),
  size: Schema.String,
  plan: Plan,
  segments: Schema.Array(SegmentResult),
  jobIds: Schema.Array(Schema.String),
  /** Jobs paid for and replaced (failed, or forgotten by the server), over every run in this directory. */
  replacedJobs: Schema.Array(ReplacedJob),
  /** Seconds of every job paid for, the replaced ones included. */
  secondsBilled: Schema.Int,
  /** `chain: keyframes`: keyframe images paid for, over every run in this directory. */
  keyframesBilled: Schema.optionalKey(Schema.Int),
  /** Seconds at their price, plus keyframe images at theirs. */
  estimatedCostUsd: Schema.Finite,
  /**
   * How the segments were joined: the combiner's `copy`, `copy-cut`, `smart-cut`, `reencode`,
   * `crossfade`, or `provider` (the provider's stitched video, `chain: extend`).
   */
  joinMethod: Schema.String,
  /**
   * With `includeReference`: the user's clip (`path`) opens the output, lasting `seconds` there; the
   * output is then `seconds` + the segments long, and its first seam is the clip's end.
   */
  includedReference: Schema.optionalKey(Schema.Struct({ path: Schema.String, seconds: Schema.Finite })),
  /** The audio at the seams: blended over `seconds` at `seams` seams, or absent when left hard. */
  audioSeam: Schema.optionalKey(Schema.Struct({ seams: Schema.Int, seconds: Schema.Finite }))
}) {}
