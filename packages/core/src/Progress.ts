/**
 * Progress events of a run, emitted by the orchestration and by providers, rendered by front-ends
 * (a live terminal line, plain log lines, or NDJSON). The default reporter drops them.
 */
import { Context, Effect, Schema } from "effect"
import { Plan } from "./Plan.ts"

export const Started = Schema.TaggedStruct("Started", {
  durations: Schema.Array(Schema.Int),
  size: Schema.String,
  estimatedCostUsd: Schema.Finite
})
export const Planned = Schema.TaggedStruct("Planned", { plan: Plan })
export const SegmentQueued = Schema.TaggedStruct("SegmentQueued", { segment: Schema.Int, jobId: Schema.String })
export const SegmentProgress = Schema.TaggedStruct("SegmentProgress", {
  segment: Schema.Int,
  jobId: Schema.String,
  status: Schema.String,
  percent: Schema.Finite
})
export const SegmentCompleted = Schema.TaggedStruct("SegmentCompleted", {
  segment: Schema.Int,
  jobId: Schema.String,
  path: Schema.String
})
/** A segment finished by an earlier run, taken over without a new create. */
export const SegmentReused = Schema.TaggedStruct("SegmentReused", {
  segment: Schema.Int,
  jobId: Schema.String,
  state: Schema.String
})
/**
 * A segment's job is given up on and the segment created again, which is billed again: the job
 * failed (a rerun or `retryFailed`), or the server no longer knows it (`gone`).
 */
export const SegmentRecreated = Schema.TaggedStruct("SegmentRecreated", {
  segment: Schema.Int,
  previousJobId: Schema.String,
  reason: Schema.Literals(["failed", "gone"]),
  detail: Schema.String,
  seconds: Schema.Int,
  estimatedCostUsd: Schema.Finite
})
/** A keyframe (`chain: keyframes`) is ready: rendered now (`ms` of wall time) or kept from an earlier run. */
export const KeyframeRendered = Schema.TaggedStruct("KeyframeRendered", {
  index: Schema.Int,
  path: Schema.String,
  reused: Schema.Boolean,
  ms: Schema.Finite
})
/**
 * A phase of the run is over, with its wall time: `keyframes`, `segments` (every clip made) and
 * `join`; benchmarks compare them (keyframes mode aims at keyframes + one segment's render).
 */
export const PhaseTimed = Schema.TaggedStruct("PhaseTimed", {
  phase: Schema.Literals(["keyframes", "segments", "join"]),
  ms: Schema.Finite
})
export const FrameExtracted = Schema.TaggedStruct("FrameExtracted", { segment: Schema.Int, path: Schema.String })
export const Joined = Schema.TaggedStruct("Joined", { path: Schema.String, method: Schema.String })

export const ProgressEvent = Schema.Union([
  Started,
  Planned,
  SegmentQueued,
  SegmentProgress,
  SegmentCompleted,
  SegmentReused,
  SegmentRecreated,
  FrameExtracted,
  KeyframeRendered,
  PhaseTimed,
  Joined
])
export type ProgressEvent = typeof ProgressEvent.Type

export interface Reporter {
  readonly emit: (event: ProgressEvent) => Effect.Effect<void>
}

/** The reporter in use; provide another to render progress. */
export const ProgressReporter = Context.Reference<Reporter>("@longsora/core/Progress/ProgressReporter", {
  defaultValue: () => ({ emit: () => Effect.void })
})

export const emit = (event: ProgressEvent): Effect.Effect<void> =>
  Effect.gen(function* () {
    const reporter = yield* ProgressReporter
    yield* reporter.emit(event)
  })

/** A reporter that calls a plain callback, for Promise front-ends. */
export const callbackReporter = (onEvent: (event: ProgressEvent) => void): Reporter => ({
  emit: (event) => Effect.sync(() => onEvent(event))
})
