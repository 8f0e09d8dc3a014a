/**
 * One short scenario (2 chained segments, 1 s simulated per clip) through the same harness as
 * `pnpm bench`: every field present and sane. No timing thresholds: the machine may be busy.
 */
import { describe, expect, it } from "@effect/vitest"
import { runScenario } from "../src/Harness.ts"
import { aggregate, table } from "../src/Report.ts"

describe("bench harness", () => {
  it("measures a 2-segment chained run end to end", { timeout: 180_000 }, async () => {
    const scenario = { name: "smoke", mode: "chained", segments: 2, simulatedSeconds: 1 } as const
    const m = await runScenario(scenario)

    expect(m.wallS).toBeGreaterThan(0)
    expect(m.creates).toBe(2)
    expect(m.outputExists).toBe(true)
    expect(m.outputBytes).toBeGreaterThan(0)
    expect(m.referenceS).toBe(2)
    expect(m.simulatedSumS).toBe(2)
    expect(m.overheadS).toBeCloseTo(m.wallS - 2, 2)
    expect(m.planningOverlapped).toBe(true)
    expect(m.requestsByKind).toMatchObject({ plan: 1, create: 2, download: 2 })
    expect(m.pollsPerJob).toBeGreaterThanOrEqual(1)
    expect(m.requestsPerSegment).toBeGreaterThanOrEqual(3)
    for (const key of [
      "noticeMeanS",
      "noticeMaxS",
      "secondsBetweenPolls",
      "timeToFirstCreateS",
      "planningS",
      "extractS",
      "uploadS",
      "downloadS",
      "joinS",
      "realRenderMeanS",
      "realRenderMaxS",
      "emulatorJobsS",
      "peakRssMiB",
      "startupS"
    ] as const) {
      expect(Number.isFinite(m[key]), key).toBe(true)
      expect(m[key], key).toBeGreaterThanOrEqual(0)
    }
    // The job cannot complete before its simulated time, nor be noticed before it completed.
    expect(m.emulatorJobsS).toBeGreaterThanOrEqual(2)
    expect(m.noticeMeanS).toBeGreaterThanOrEqual(0)
    expect(m.noticeMaxS).toBeLessThan(m.wallS)

    const result = aggregate(scenario, [m])
    expect(result.metrics.wallS).toEqual({ min: m.wallS, median: m.wallS, max: m.wallS })
    expect(table([result])).toContain("| smoke |")
  })
})
