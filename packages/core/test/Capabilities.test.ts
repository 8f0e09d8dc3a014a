import { describe, expect, it } from "@effect/vitest"
import { Capabilities } from "../src/index.ts"

describe("Capabilities", () => {
  it("parses WIDTHxHEIGHT and nothing else", () => {
    expect(Capabilities.parseSize("1280x720")).toEqual({ width: 1280, height: 720 })
    expect(Capabilities.parseSize(" 720x1280 ")).toEqual({ width: 720, height: 1280 })
    expect(Capabilities.parseSize("1280*720")).toBeUndefined()
    expect(Capabilities.parseSize("0x720")).toBeUndefined()
  })

  it("describes and checks clip lengths given as a set or a range", () => {
    const sora: Capabilities.ClipLengths = { _tag: "ClipLengthSet", seconds: [4, 8, 12] }
    const range: Capabilities.ClipLengths = { _tag: "ClipLengthRange", min: 4, max: 15, step: 1 }
    expect(Capabilities.describeClipLengths(sora)).toBe("4, 8 or 12 s")
    expect(Capabilities.describeClipLengths(range)).toBe("4–15 s")
    expect(Capabilities.acceptsClipLength(sora, 8)).toBe(true)
    expect(Capabilities.acceptsClipLength(sora, 6)).toBe(false)
    expect(Capabilities.acceptsClipLength(range, 15)).toBe(true)
    expect(Capabilities.acceptsClipLength(range, 16)).toBe(false)
    expect(Capabilities.clipLengthValues({ _tag: "ClipLengthRange", min: 5, max: 20, step: 5 })).toEqual([
      5, 10, 15, 20
    ])
  })
})
