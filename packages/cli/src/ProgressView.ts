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

/** Below this many columns the block drops its words ("segment", "elapsed") and shortens the bar. */
const wideColumns = 80

/** One segment in a narrow terminal: `1/2  4 s  rendering  40%  00:03  ETA 00:04`. */
export const compactSegmentLine = (s: SegmentView, count: number, now: number): string => {
  const elapsed = s.startedAt === undefined ? "--:--" : clock((s.finishedAt ?? now) - s.startedAt)
  return [
    `${String(s.segment).padStart(String(count).length)}/${count}`,
    `${String(s.seconds).padStart(3)} s`,
    stateLabel[s.state].padEnd(10),
    `${String(Math.round(s.percent)).padStart(3)}%`,
    elapsed,
    `ETA ${eta(s, now)}`
  ].join(" ")
}

/** The overall line in a narrow terminal: a bar as wide as the words beside it allow. */
export const compactOverallLine = (view: View, now: number, width: number): string => {
  const percent = overallPercent(view)
  const words = ` ${String(Math.round(percent)).padStart(3)}% ${clock(now - view.startedAt)} ${view.planned ? "ready" : "planning…"} $${view.estimatedCostUsd.toFixed(2)}`
  return `${bar(percent, Math.max(5, Math.min(30, width - words.length - 2)))}${words}`
}

/** `line` cut to `width` characters, the last one an ellipsis when something was cut. */
export const cut = (line: string, width: number): string =>
  [...line].length <= width ? line : `${[...line].slice(0, Math.max(0, width - 1)).join("")}…`

/** `text` broken at spaces into lines of at most `width` characters (a word longer than that is cut). */
export const wrap = (text: string, width: number): ReadonlyArray<string> => {
  const out: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`
    if ([...next].length <= width) line = next
    else {
      if (line !== "") out.push(line)
      line = cut(word, width)
    }
  }
  if (line !== "") out.push(line)
  return out
}

/**
 * The block's lines. With `width` (a terminal's columns), no line is longer: a narrow terminal gets the compact
 * layout, anything still too long is cut, and notices (what the user pays beyond the estimate) are wrapped, not cut.
 */
export const lines = (view: View, now: number, width?: number): ReadonlyArray<string> => {
  if (width === undefined) {
    return [
      ...view.segments.map((s) => segmentLine(s, view.segments.length, now)),
      overallLine(view, now),
      ...view.notices
    ]
  }
  const narrow = width < wideColumns
  const segment = narrow ? compactSegmentLine : segmentLine
  return [
    ...view.segments.map((s) => cut(segment(s, view.segments.length, now), width)),
    cut(narrow ? compactOverallLine(view, now, width) : overallLine(view, now), width),
    ...view.notices.flatMap((notice) => wrap(notice, width))
  ]
}
