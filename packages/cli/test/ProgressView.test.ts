import { describe, expect, it } from "vitest"
import * as ProgressView from "../src/ProgressView.ts"

const started = ProgressView.reduce(
  ProgressView.initial(0),
  { _tag: "Started", durations: [8, 4], size: "1280x720", estimatedCostUsd: 1.2 },
  0
)

describe("ProgressView", () => {
  it("shows one waiting line per segment and an overall bar", () => {
    expect(ProgressView.lines(started, 0)).toEqual([
      "segment 1/2    8 s  waiting       0%  elapsed --:--  ETA --:--",
      "segment 2/2    4 s  waiting       0%  elapsed --:--  ETA --:--",
      "[------------------------------]   0%  elapsed 00:00  planning…  est. $1.20"
    ])
  })

  it("estimates the time left from the progress rate and weights the bar by length", () => {
    let view = ProgressView.reduce(started, { _tag: "SegmentQueued", segment: 1, jobId: "video_1" }, 1_000)
    view = ProgressView.reduce(
      view,
      { _tag: "SegmentProgress", segment: 1, jobId: "video_1", status: "in_progress", percent: 25 },
      11_000
    )
    // 25 % in 10 s → 30 s left; segment 1 is 8 of 12 s, so the whole is 16.7 % done.
    expect(ProgressView.segmentLine(view.segments[0]!, 2, 11_000)).toBe(
      "segment 1/2    8 s  rendering    25%  elapsed 00:10  ETA 00:30"
    )
    expect(Math.round(ProgressView.overallPercent(view))).toBe(17)
  })

  it("never lets progress go backwards and marks reused segments", () => {
    let view = ProgressView.reduce(
      started,
      { _tag: "SegmentProgress", segment: 1, jobId: "v", status: "in_progress", percent: 60 },
      0
    )
    view = ProgressView.reduce(
      view,
      { _tag: "SegmentProgress", segment: 1, jobId: "v", status: "in_progress", percent: 40 },
      1
    )
    expect(view.segments[0]!.percent).toBe(60)
    view = ProgressView.reduce(view, { _tag: "SegmentReused", segment: 2, jobId: "w", state: "completed" }, 2)
    expect(view.segments[1]).toMatchObject({ state: "reused", percent: 100 })
  })

  it("formats clocks and bars", () => {
    expect(ProgressView.clock(61_400)).toBe("01:01")
    expect(ProgressView.bar(50, 10)).toBe("[#####-----]")
    expect(ProgressView.bar(150, 4)).toBe("[####]")
  })

  it("fits a narrow terminal: a compact layout, no line longer than the width, notices wrapped not cut", () => {
    let view = ProgressView.reduce(started, { _tag: "SegmentQueued", segment: 1, jobId: "video_1" }, 1_000)
    view = ProgressView.reduce(
      view,
      { _tag: "SegmentProgress", segment: 1, jobId: "video_1", status: "in_progress", percent: 25 },
      11_000
    )
    view = {
      ...view,
      notices: ["segment 2: job video_9 failed (moderation); creating it again: 4 s more, about $0.40"]
    }
    const lines = ProgressView.lines(view, 11_000, 49)
    expect(lines.slice(0, 2)).toEqual([
      "1/2   8 s rendering   25% 00:10 ETA 00:30",
      "2/2   4 s waiting      0% --:-- ETA --:--"
    ])
    expect(lines[2]).toMatch(/^\[#*-+\] {2}17% 00:11 planning… \$1\.20$/)
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(49)
    // The notice keeps every word (it says what the user pays) over as many lines as it needs.
    expect(lines.slice(3).join(" ")).toBe(view.notices[0])
    expect(ProgressView.cut("abcdef", 4)).toBe("abc…")
  })
})
