/**
 * A job's progress as the API shows it, folded from core's progress events: each segment's state,
 * job id and cost, the plan, the jobs paid for and replaced, and one overall percentage.
 */
import { Plan, type Progress, Validation } from "@longsora/core"
import { Schema } from "effect"
import type { Extras, SegmentState } from "./Job.ts"

export const empty = (durations: ReadonlyArray<number>, estimatedCostUsd: number): Extras => ({
  plan: null,
  segments: segmentsOf(durations, estimatedCostUsd),
  estimated_cost_usd: estimatedCostUsd,
  replaced_jobs: [],
  join_method: null
})

const segmentsOf = (durations: ReadonlyArray<number>, estimatedCostUsd: number): Array<SegmentState> => {
  const total = durations.reduce((sum, s) => sum + s, 0)
  return durations.map((seconds, i) => ({
    segment: i + 1,
    state: "pending",
    job_id: null,
    seconds,
    cost_usd: Validation.usd((estimatedCostUsd * seconds) / total)
  }))
}

const encodePlan = Schema.encodeSync(Plan.Plan)

const withSegment = (extras: Extras, segment: number, change: Partial<SegmentState>): Extras => ({
  ...extras,
  segments: extras.segments.map((s) => (s.segment === segment ? { ...s, ...change } : s))
})

/** The extras after `event`; `percents` holds each running segment's render percentage. */
export const reduce = (extras: Extras, event: Progress.ProgressEvent, percents: Map<number, number>): Extras => {
  switch (event._tag) {
    case "Started":
      percents.clear()
      return { ...extras, segments: segmentsOf(event.durations, event.estimatedCostUsd) }
    case "Planned":
      return { ...extras, plan: encodePlan(event.plan) }
    case "SegmentQueued":
      percents.set(event.segment, 0)
      return withSegment(extras, event.segment, { state: "queued", job_id: event.jobId })
    case "SegmentProgress":
      percents.set(event.segment, event.percent)
      return withSegment(extras, event.segment, { state: event.status, job_id: event.jobId })
    case "SegmentReused":
      return withSegment(extras, event.segment, { state: event.state, job_id: event.jobId })
    case "SegmentCompleted":
      percents.set(event.segment, 100)
      return withSegment(extras, event.segment, { state: "completed" })
    case "SegmentRecreated":
      return {
        ...extras,
        estimated_cost_usd: Validation.usd(extras.estimated_cost_usd + event.estimatedCostUsd),
        replaced_jobs: [
          ...extras.replaced_jobs,
          { segment: event.segment, job_id: event.previousJobId, reason: event.reason, seconds: event.seconds }
        ]
      }
    case "Joined":
      return { ...extras, join_method: event.method }
    case "FrameExtracted":
    case "KeyframeRendered":
    case "PhaseTimed":
      return extras
  }
}

/**
 * 0–99 while running: the share of the video's seconds rendered (a finished segment counts whole);
 * 100 only once the joined video is there.
 */
export const percent = (extras: Extras, percents: ReadonlyMap<number, number>): number => {
  const total = extras.segments.reduce((sum, s) => sum + s.seconds, 0)
  if (total === 0) return 0
  const done = extras.segments.reduce((sum, s) => {
    const fraction = s.state === "completed" ? 1 : (percents.get(s.segment) ?? 0) / 100
    return sum + s.seconds * fraction
  }, 0)
  return Math.min(99, Math.floor((done / total) * 99))
}
