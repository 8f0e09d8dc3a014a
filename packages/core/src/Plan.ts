/** The story plan: one self-contained prompt per segment, with its length, and a shared brief. */
import { Schema } from "effect"

export class PlannedSegment extends Schema.Class<PlannedSegment>("@longsora/core/PlannedSegment")({
  prompt: Schema.NonEmptyString,
  seconds: Schema.Int.check(Schema.isGreaterThan(0))
}) {}

export class Plan extends Schema.Class<Plan>("@longsora/core/Plan")({
  /** Style and continuity brief every segment shares: subject, look, camera, light, sound. */
  brief: Schema.String,
  segments: Schema.NonEmptyArray(PlannedSegment),
  /**
   * `chain: keyframes`: one still-image description per seam and end, `segments.length + 1` in all;
   * keyframe `i` is the last frame of segment `i` and the first of segment `i + 1`.
   */
  keyframes: Schema.optionalKey(Schema.Array(Schema.NonEmptyString))
}) {}

export const PlanJson = Schema.fromJsonString(Plan)
