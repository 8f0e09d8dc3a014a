/**
 * One short scenario (2 chained segments, 1 s simulated per clip) through the same harness as
 * `pnpm bench`: the plain loop, the real `longsora` command and the SDK against one emulator, every
 * field present and sane. No timing thresholds: the machine may be busy.
 */
import { describe, expect, it } from "@effect/vitest"
import { runScenario } from "../src/Harness.ts"
import { aggregate, seamTable, table, targets } from "../src/Report.ts"

describe("bench harness", () => {
  it("measures a 2-segment chained run by the loop, the command and the SDK", { timeout: 180_000 }, async () => {
    const scenario = { name: "smoke", mode: "chained", segments: 2, simulatedSeconds: 1 } as const
    const metrics = await runScenario(scenario)

    for (const runner of ["loop", "cli", "sdk"] as const) {
      const m = metrics[runner]!
      expect(m.runner).toBe(runner)
      expect(m.creates, runner).toBe(2)
      // Two jobs of 1 s each, made one after the other: neither process can beat that.
      expect(m.emulatorJobsS, runner).toBeGreaterThanOrEqual(2)
      expect(m.wallS, runner).toBeGreaterThan(m.emulatorJobsS)
      expect(m.overheadS, runner).toBeCloseTo(m.wallS - 2, 2)
      expect(m.seamGapsS, runner).toHaveLength(1)
      for (const key of ["firstCreateS", "seamGapMeanS", "tailS", "renderWorkS"] as const) {
        expect(Number.isFinite(m[key]), `${runner} ${key}`).toBe(true)
        expect(m[key], `${runner} ${key}`).toBeGreaterThan(0)
      }
      // The first create comes after the process started and before the first job could have completed.
      expect(m.firstCreateS, runner).toBeLessThan(m.wallS - 2)
    }
    const sdk = metrics.sdk!
    expect(sdk.detail?.planningOverlapped).toBe(true)
    expect(sdk.detail?.requestsByKind).toMatchObject({ plan: 1, create: 2 })
    // Each clip whole, or range-first in at most three requests (header, last keyframe interval, the rest).
    expect(sdk.detail?.requestsByKind.download).toBeGreaterThanOrEqual(2)
    expect(sdk.detail?.requestsByKind.download).toBeLessThanOrEqual(6)
    const [seam] = sdk.seams!
    expect(seam!.gapS).toBeCloseTo(sdk.seamGapsS[0]!, 2)
    for (const part of ["noticeS", "downloadS", "extractS", "uploadS"] as const) {
      expect(seam![part], part).toBeGreaterThanOrEqual(0)
      expect(seam![part], part).toBeLessThanOrEqual(seam!.gapS)
    }

    const result = aggregate(scenario, [metrics])
    expect(result.runnersMedian.cli?.wallS).toBe(metrics.cli!.wallS)
    expect(table([result])).toContain("| smoke | longsora |")
    expect(seamTable([result])).toContain("| smoke |")
    expect(targets([result], [], undefined).map((t) => t.target)).toContain(
      "seam gap (completion → next create) ≤ the plain loop's"
    )
  })
})
