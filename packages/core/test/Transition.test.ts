import { describe, expect, it } from "@effect/vitest"
import { Transition } from "../src/index.ts"

describe("Transition.parse", () => {
  it("reads the command-line forms", () => {
    expect(Transition.parse("cut")).toEqual({ _tag: "Cut" })
    expect(Transition.parse("keep")).toEqual({ _tag: "KeepDuplicate" })
    expect(Transition.parse("crossfade")).toEqual({ _tag: "Crossfade", seconds: 0.5 })
    expect(Transition.parse("crossfade:0.25")).toEqual({ _tag: "Crossfade", seconds: 0.25 })
    expect(Transition.parse(" Crossfade:1 ")).toEqual({ _tag: "Crossfade", seconds: 1 })
  })

  it("rejects anything else", () => {
    for (const text of [
      "",
      "fade",
      "cut:1",
      "crossfade:",
      "crossfade:0",
      "crossfade:-1",
      "crossfade:abc",
      "crossfade:1:2"
    ]) {
      expect(Transition.parse(text)).toBeUndefined()
    }
  })

  it("formats back to the same text", () => {
    for (const text of ["cut", "keep", "crossfade:0.5"]) expect(Transition.format(Transition.parse(text)!)).toBe(text)
  })
})
