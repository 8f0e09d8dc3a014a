import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { Capabilities, DurationSolver, type Errors, LongVideoRequest } from "../src/index.ts"

const sora: Capabilities.ClipLengths = { _tag: "ClipLengthSet", seconds: [4, 8, 12] }
const veo: Capabilities.ClipLengths = { _tag: "ClipLengthSet", seconds: [4, 6, 8] }
const range = (min: number, max: number, step = 1): Capabilities.ClipLengths => ({
  _tag: "ClipLengthRange",
  min,
  max,
  step
})

const split = (seconds: number, count: number, clipLengths: Capabilities.ClipLengths = sora) => {
  const result = DurationSolver.solve({ seconds, count, clipLengths })
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

const failure = (
  seconds: number,
  count: number,
  clipLengths: Capabilities.ClipLengths = sora
): Errors.UnformableDuration => {
  const result = DurationSolver.solve({ seconds, count, clipLengths })
  if (Result.isSuccess(result)) throw new Error(`expected no split, got ${result.success}`)
  return result.failure
}

/** Every multiset of `count` lengths summing to `seconds`, by exhaustive search. */
const allSplits = (seconds: number, count: number, lengths: ReadonlyArray<number>): Array<Array<number>> => {
  const out: Array<Array<number>> = []
  const go = (remaining: number, left: number, from: number, acc: Array<number>) => {
    if (left === 0) {
      if (remaining === 0) out.push([...acc])
      return
    }
    for (let i = from; i < lengths.length; i++) {
      const length = lengths[i]!
      if (length > remaining) break
      acc.push(length)
      go(remaining - length, left - 1, i, acc)
      acc.pop()
    }
  }
  go(seconds, count, 0, [])
  return out
}

describe("DurationSolver", () => {
  it("splits the documented examples evenly, longest first", () => {
    expect(split(24, 3)).toEqual([8, 8, 8])
    expect(split(20, 5)).toEqual([4, 4, 4, 4, 4])
    expect(split(16, 2)).toEqual([8, 8])
    expect(split(20, 2)).toEqual([12, 8])
    expect(split(12, 1)).toEqual([12])
    expect(split(36, 3)).toEqual([12, 12, 12])
  })

  it("uses the provider's lengths, not Sora's", () => {
    expect(split(18, 3, veo)).toEqual([6, 6, 6])
    expect(split(14, 2, veo)).toEqual([8, 6])
    expect(split(27, 3, range(4, 15))).toEqual([9, 9, 9])
    expect(split(29, 3, range(4, 15))).toEqual([10, 10, 9])
    expect(split(25, 2, range(5, 20, 5))).toEqual([15, 10])
  })

  it("refuses 15 s in 2 segments and names totals and counts that work", () => {
    const error = failure(15, 2)
    expect(error._tag).toBe("UnformableDuration")
    expect(error.nearestTotals).toEqual([12, 16])
    expect(error.validCounts).toEqual([])
    expect(error.message).toContain("15 s cannot be made of exactly 2 clips of 4, 8 or 12 s")
    expect(error.message).toContain("seconds 12 or 16 with 2 segments")
  })

  it("refuses more segments than the total allows and names the counts that do work", () => {
    const error = failure(24, 10)
    expect(error.nearestTotals).toEqual([40])
    expect(error.validCounts).toEqual([2, 3, 4, 5, 6])
    expect(error.message).toContain("numGenerations 2, 3, 4, 5, 6 for 24 s")
  })

  it("refuses totals that are not whole positive numbers", () => {
    expect(failure(0, 3).nearestTotals).toEqual([12])
    expect(failure(24.5, 3).nearestTotals).toEqual([24, 28])
    expect(failure(10, 0).validCounts).toEqual([])
  })

  it("matches brute force on small inputs: sum, count, membership, optimal evenness", () => {
    const lengthSets = fc.uniqueArray(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 4 })
    fc.assert(
      fc.property(
        lengthSets,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        (lengths, seconds, count) => {
          const sorted = [...lengths].sort((a, b) => a - b)
          const clipLengths: Capabilities.ClipLengths = {
            _tag: "ClipLengthSet",
            seconds: [sorted[0]!, ...sorted.slice(1)]
          }
          const candidates = allSplits(seconds, count, sorted)
          const result = DurationSolver.solve({ seconds, count, clipLengths })
          if (candidates.length === 0) {
            expect(Result.isFailure(result)).toBe(true)
            return
          }
          expect(Result.isSuccess(result)).toBe(true)
          const chosen = Result.getOrThrow(result)
          expect(chosen).toHaveLength(count)
          expect(chosen.reduce((a, b) => a + b, 0)).toBe(seconds)
          for (const length of chosen) expect(sorted).toContain(length)
          expect([...chosen].sort((a, b) => b - a)).toEqual(chosen)
          const best = Math.min(...candidates.map(DurationSolver.unevenness))
          expect(DurationSolver.unevenness(chosen)).toBe(best)
        }
      ),
      { numRuns: 400 }
    )
  })

  it("matches brute force for ranges, and its suggestions are all valid", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (min, extra, step, seconds, count) => {
          const max = min + extra * step
          const lengths = Array.from({ length: extra + 1 }, (_, i) => min + i * step)
          const candidates = allSplits(seconds, count, lengths)
          const result = DurationSolver.solve({ seconds, count, clipLengths: range(min, max, step) })
          if (candidates.length === 0) {
            const error = Result.getFailure(result)
            expect(error._tag).toBe("Some")
            if (error._tag === "Some") {
              for (const total of error.value.nearestTotals)
                expect(allSplits(total, count, lengths).length).toBeGreaterThan(0)
              for (const n of error.value.validCounts) expect(allSplits(seconds, n, lengths).length).toBeGreaterThan(0)
            }
            return
          }
          const chosen = Result.getOrThrow(result)
          expect(chosen.reduce((a, b) => a + b, 0)).toBe(seconds)
          expect(DurationSolver.unevenness(chosen)).toBe(Math.min(...candidates.map(DurationSolver.unevenness)))
        }
      ),
      { numRuns: 400 }
    )
  })

  it("names the nearest valid totals on both sides", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 5 }), (seconds, count) => {
        const result = DurationSolver.solve({ seconds, count, clipLengths: sora })
        if (Result.isSuccess(result)) return
        const [below, above] = [
          Array.from({ length: seconds - 1 }, (_, i) => seconds - 1 - i).find(
            (t) => allSplits(t, count, [4, 8, 12]).length > 0
          ),
          Array.from({ length: 12 * count }, (_, i) => seconds + 1 + i).find(
            (t) => allSplits(t, count, [4, 8, 12]).length > 0
          )
        ]
        expect(result.failure.nearestTotals).toEqual([below, above].filter((t) => t !== undefined))
      })
    )
  })

  // Each of these hung (seconds / 4 BigInt shifts) before the solver's work stopped depending on the
  // total; finishing at all within the test timeout is the assertion.
  it("answers at once for huge totals and counts, suggesting only what a run can take", () => {
    for (const seconds of [1_000_001, 3_000_000, 1e9, 2 ** 53 - 1, Number.MAX_VALUE]) {
      const error = failure(seconds, 3)
      expect(error.nearestTotals).toEqual([36])
      expect(error.validCounts).toEqual([])
    }
    const manySegments = failure(24, 1_000_000)
    expect(manySegments.nearestTotals).toEqual([])
    expect(manySegments.validCounts).toEqual([2, 3, 4, 5, 6])
    expect(failure(1e9, 1e9, range(4, 15)).validCounts).toEqual([])
    expect(failure(Number.POSITIVE_INFINITY, 2).nearestTotals).toEqual([24])
    expect(failure(Number.NaN, 2).nearestTotals).toEqual([])
  })

  it("solves the largest runs allowed quickly, for sets, ranges and awkward sets", () => {
    const { maxSegments } = LongVideoRequest
    expect(split(12 * maxSegments, maxSegments)).toEqual(Array(maxSegments).fill(12))
    expect(split(12 * maxSegments - 4, maxSegments)).toHaveLength(maxSegments)
    expect(split(60 * maxSegments - 1, maxSegments, range(1, 60))).toHaveLength(maxSegments)
    // The dynamic programme's worst case: as many lengths as a set may list, up to the longest clip, not
    // arithmetic, gcd 1.
    const awkward: Capabilities.ClipLengths = {
      _tag: "ClipLengthSet",
      seconds: [1, 2, ...Array.from({ length: Capabilities.maxClipLengthChoices - 3 }, (_, i) => 6 + 4 * i), 60]
    }
    const chosen = split(30 * maxSegments + 1, maxSegments, awkward)
    expect(chosen.reduce((a, b) => a + b, 0)).toBe(30 * maxSegments + 1)
    expect(failure(8 * (maxSegments + 1), maxSegments + 1).validCounts.at(-1)).toBe(maxSegments)
  })

  it("gives no split and no suggestions for lengths beyond what a model may declare", () => {
    const huge: Capabilities.ClipLengths = { _tag: "ClipLengthSet", seconds: [1, 2, 1e9] }
    expect(failure(1e9, 3, huge).nearestTotals).toEqual([])
    expect(failure(24, 3, range(4, 1e9)).validCounts).toEqual([])
    const many: Capabilities.ClipLengths = {
      _tag: "ClipLengthSet",
      seconds: [1, ...Array.from({ length: 20 }, (_, i) => i + 3)]
    }
    expect(failure(24, 3, many).validCounts).toEqual([])
  })
})
