import { describe, expect, it } from "vitest"
import { segmentSpans } from "../src/Inspection.ts"

describe("Inspection.segmentSpans", () => {
  it("a cut shortens every later segment by one frame", () => {
    expect(segmentSpans([8, 8, 4], { _tag: "Cut" }, 30)).toEqual([8, 8 - 1 / 30, 4 - 1 / 30])
  })

  it("keeping the duplicate keeps every length", () => {
    expect(segmentSpans([8, 4], { _tag: "KeepDuplicate" }, 30)).toEqual([8, 4])
  })

  it("a crossfade puts each seam in the middle of its fade", () => {
    expect(segmentSpans([8, 8, 4], { _tag: "Crossfade", seconds: 0.5 }, 30)).toEqual([7.75, 7.5, 3.75])
  })
})
