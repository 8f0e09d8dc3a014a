import { Drift } from "@longsora/core"
import { describe, expect, it } from "vitest"

const look = (luma: number, spread: number, tint = 0): Drift.Look => {
  const thumbnail = Array.from(
    { length: Drift.thumbnailWidth * Drift.thumbnailHeight },
    (_, i) => luma + spread * Math.sin(i / 7)
  )
  return { red: luma + tint, green: luma, blue: luma - tint, luma, contrast: spread / Math.SQRT2, thumbnail }
}

describe("Drift.compare", () => {
  it("is 0 for the same look and grows with colour, brightness and contrast", () => {
    const base = look(120, 40)
    expect(Drift.compare(base, base)).toEqual({ colour: 0, brightness: 0, contrast: 0, structure: 0, drift: 0 })
    const darker = Drift.compare(base, look(90, 40))
    expect(darker.brightness).toBeCloseTo(30 / 255, 6)
    expect(darker.drift).toBeGreaterThanOrEqual(darker.brightness)
    const flatter = Drift.compare(base, look(120, 20))
    expect(flatter.contrast).toBeCloseTo(0.5, 6)
    expect(flatter.drift).toBeCloseTo(0.5, 6)
    const tinted = Drift.compare(base, look(120, 40, 25))
    expect(tinted.colour).toBeCloseTo(Math.hypot(25, 25) / 255, 6)
    expect(tinted.brightness).toBe(0)
  })
})
