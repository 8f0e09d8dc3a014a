/**
 * What a run looks like at one instant, folded from core's progress events, and its rendering as
 * text: one line per segment (state, %, elapsed, ETA) and an overall bar. Pure, so the terminal,
 * plain-log and test renderers share it.
 */
import type { Progress } from "@longsora/core"

export type SegmentState = "waiting" | "queued" | "in_progress" | "completed" | "reused" | "done"

export interface SegmentView {
  readonly segment: number
  readonly seconds: number
  readonly state: SegmentState
  readonly percent: number
  readonly jobId?: string
  readonly startedAt?: number
  readonly finishedAt?: number
}

export interface View {
  readonly startedAt: number
  readonly estimatedCostUsd: number
  readonly planned: boolean
  readonly segments: ReadonlyArray<SegmentView>
  /** Things the user pays for beyond the estimate, shown under the block for the rest of the run. */
  readonly notices: ReadonlyArray<string>
  readonly output?: string
}

export const initial = (now: number): View => ({
  startedAt: now,
  estimatedCostUsd: 0,
  planned: false,
  segments: [],
  notices: []
})

/** What a new create of a segment means for the bill, in one line. */
export const recreatedNotice = (event: typeof Progress.SegmentRecreated.Type): string => {
  const why =
    event.reason === "gone"
      ? `the server no longer has job ${event.previousJobId}`
      : `job ${event.previousJobId} failed (${event.detail})`
  return `segment ${event.segment}: ${why}; creating it again: ${event.seconds} s more, about $${event.estimatedCostUsd.toFixed(2)}`
}

const updateSegment = (view: View, segment: number, f: (s: SegmentView) => SegmentView): View => ({
  ...view,
  segments: view.segments.map((s) => (s.segment === segment ? f(s) : s))
})

export const reduce = (view: View, event: Progress.ProgressEvent, now: number): View => {
  switch (event._tag) {
    case "Started":
      return {
        ...view,
        estimatedCostUsd: event.estimatedCostUsd,
        segments: event.durations.map((seconds, i) => ({ segment: i + 1, seconds, state: "waiting", percent: 0 }))
      }
    case "Planned":
      return { ...view, planned: true }
    case "SegmentQueued":
      return updateSegment(view, event.segment, (s) => ({ ...s, state: "queued", jobId: event.jobId, startedAt: now }))
    case "SegmentProgress":
      return updateSegment(view, event.segment, (s) => ({
        ...s,
        state: event.status === "queued" ? "queued" : "in_progress",
        percent: Math.max(s.percent, event.percent),
        jobId: event.jobId,
        startedAt: s.startedAt ?? now
      }))
    case "SegmentReused":
      return updateSegment(view, event.segment, (s) => ({
        ...s,
        state: event.state === "completed" ? "reused" : "in_progress",
        jobId: event.jobId,
        startedAt: s.startedAt ?? now,
        ...(event.state === "completed" ? { percent: 100, finishedAt: now } : {})
      }))
    case "SegmentRecreated": {
      const {
        jobId: _dropped,
        startedAt: _also,
        ...rest
      } = view.segments[event.segment - 1] ?? {
        segment: event.segment,
        seconds: event.seconds,
        state: "waiting" as const,
        percent: 0
      }
      return {
        ...updateSegment(view, event.segment, () => ({ ...rest, state: "waiting", percent: 0 })),
        notices: [...view.notices, recreatedNotice(event)]
      }
    }
    case "SegmentCompleted":
      return updateSegment(view, event.segment, (s) => ({ ...s, state: "completed", percent: 100, finishedAt: now }))
    case "FrameExtracted":
      return updateSegment(view, event.segment, (s) => ({ ...s, state: s.state === "reused" ? "reused" : "done" }))
    case "Joined":
      return { ...view, output: event.path }
    case "KeyframeRendered":
    case "PhaseTimed":
      // Plain and JSON output report them; the live block shows segments only.
      return view
  }
}

export const clock = (ms: number): string => {
  const total = Math.max(0, Math.round(ms / 1000))
  const minutes = Math.floor(total / 60)
  return `${String(minutes).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`
}

const eta = (s: SegmentView, now: number): string => {
  if (s.startedAt === undefined || s.percent <= 0 || s.percent >= 100) return "--:--"
  const elapsed = now - s.startedAt
  return clock((elapsed / s.percent) * (100 - s.percent))
}

const stateLabel: Record<SegmentState, string> = {
  waiting: "waiting",
  queued: "queued",
  in_progress: "rendering",
  completed: "downloaded",
  reused: "reused",
  done: "done"
}

export const segmentLine = (s: SegmentView, count: number, now: number): string => {
  const elapsed = s.startedAt === undefined ? "--:--" : clock((s.finishedAt ?? now) - s.startedAt)
  return [
    `segment ${String(s.segment).padStart(String(count).length)}/${count}`,
    `${String(s.seconds).padStart(3)} s`,
    stateLabel[s.state].padEnd(10),
    `${String(Math.round(s.percent)).padStart(3)}%`,
    `elapsed ${elapsed}`,
    `ETA ${eta(s, now)}`
  ].join("  ")
}

/** Overall completion: each segment weighted by its length. */
export const overallPercent = (view: View): number => {
  const total = view.segments.reduce((sum, s) => sum + s.seconds, 0)
  if (total === 0) return 0
  return view.segments.reduce((sum, s) => sum + s.seconds * s.percent, 0) / total
}

export const bar = (percent: number, width: number): string => {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width)
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`
}

export const overallLine = (view: View, now: number): string =>
  `${bar(overallPercent(view), 30)} ${String(Math.round(overallPercent(view))).padStart(3)}%  ` +
  `elapsed ${clock(now - view.startedAt)}  ${view.planned ? "plan ready" : "planning…"}  est. $${view.estimatedCostUsd.toFixed(2)}`

export const lines = (view: View, now: number): ReadonlyArray<string> => [
  ...view.segments.map((s) => segmentLine(s, view.segments.length, now)),
  overallLine(view, now),
  ...view.notices
]
