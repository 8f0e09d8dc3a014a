/** The story plan: one self-contained prompt per segment, with its length, and a shared brief. */
import { Schema } from "effect"

export class PlannedSegment extends Schema.Class<PlannedSegment>("@longsora/core/PlannedSegment")({
  prompt: Schema.NonEmptyString,
  seconds: Schema.Int.check(Schema.isGreaterThan(0))
}) {}

export class Plan extends Schema.Class<Plan>("@longsora/core/Plan")({
  /** Style and continuity brief every segment shares: subject, look, camera, light, sound. */
  brief: Schema.String,
  segments: Schema.NonEmptyArray(PlannedSegment)
}) {}

export const PlanJson = Schema.fromJsonString(Plan)
