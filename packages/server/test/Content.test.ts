import { describe, expect, it } from "vitest"
import { parseRange } from "../src/Content.ts"

describe("Content.parseRange", () => {
  it("reads one byte range, clamped to the file", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 })
    expect(parseRange("bytes=900-", 1000)).toEqual({ start: 900, end: 999 })
    expect(parseRange("bytes=900-5000", 1000)).toEqual({ start: 900, end: 999 })
    expect(parseRange("bytes=-10", 1000)).toEqual({ start: 990, end: 999 })
    expect(parseRange("bytes=-5000", 1000)).toEqual({ start: 0, end: 999 })
  })

  it("a range that starts past the end (or an empty suffix) cannot be satisfied", () => {
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable")
    expect(parseRange("bytes=-0", 1000)).toBe("unsatisfiable")
  })

  it("no header, several ranges, or a malformed one: the whole file", () => {
    expect(parseRange(undefined, 1000)).toBeUndefined()
    expect(parseRange("bytes=0-1,5-9", 1000)).toBeUndefined()
    expect(parseRange("bytes=9-5", 1000)).toBeUndefined()
    expect(parseRange("items=0-5", 1000)).toBeUndefined()
    expect(parseRange("bytes=-", 1000)).toBeUndefined()
  })
})
