/**
 * Splits a total length into exactly N clips of lengths a model accepts, as evenly as possible
 * (least sum of squares, i.e. least variance), longest first: 24 s / 3 of {4, 8, 12} → 8+8+8;
 * 20 s / 2 → 12+8. An explicit set of lengths is solved by dynamic programming over (count, total);
 * an arithmetic range has a closed form. When no split exists the error names the nearest totals
 * that work for N and the counts that work for the total.
 */
import { Result } from "effect"
import { type ClipLengths, clipLengthValues, describeClipLengths } from "./Capabilities.ts"
import { UnformableDuration } from "./Errors.ts"

export interface SolveInput {
  /** Total seconds, a positive integer. */
  readonly seconds: number
  /** Number of clips, a positive integer. */
  readonly count: number
  readonly clipLengths: ClipLengths
}

export const solve = (input: SolveInput): Result.Result<ReadonlyArray<number>, UnformableDuration> => {
  const { seconds, count, clipLengths } = input
  const split =
    clipLengths._tag === "ClipLengthRange"
      ? solveRange(seconds, count, clipLengths.min, clipLengths.max, clipLengths.step)
      : solveSet(seconds, count, clipLengthValues(clipLengths))
  return split ? Result.succeed(split) : Result.fail(unformable(input))
}

/** Sum of squares of a split: the evenness measure the solver minimises. */
export const unevenness = (split: ReadonlyArray<number>): number => split.reduce((sum, s) => sum + s * s, 0)

const isPositiveInteger = (n: number) => Number.isInteger(n) && n > 0

const solveRange = (seconds: number, count: number, min: number, max: number, step: number) => {
  if (!isPositiveInteger(seconds) || !isPositiveInteger(count)) return undefined
  if (seconds < count * min || seconds > count * max || (seconds - count * min) % step !== 0) return undefined
  const units = (seconds - count * min) / step
  const base = min + Math.floor(units / count) * step
  const longer = units % count
  return Array.from({ length: count }, (_, i) => (i < longer ? base + step : base))
}

const solveSet = (seconds: number, count: number, lengths: ReadonlyArray<number>) => {
  if (!isPositiveInteger(seconds) || !isPositiveInteger(count) || lengths.length === 0) return undefined
  const min = lengths[0]!
  const max = lengths[lengths.length - 1]!
  if (seconds < count * min || seconds > count * max) return undefined
  const width = seconds + 1
  // choice[n * width + t] = 1 + index of the last clip of an optimal n-clip split of t (0: none).
  const choice = new Uint16Array((count + 1) * width)
  let previous = new Float64Array(width).fill(Number.POSITIVE_INFINITY)
  let current = new Float64Array(width)
  previous[0] = 0
  for (let n = 1; n <= count; n++) {
    current.fill(Number.POSITIVE_INFINITY)
    // A total t is only useful if the remaining clips can still reach `seconds`.
    const low = Math.max(n * min, seconds - (count - n) * max)
    const high = Math.min(n * max, seconds - (count - n) * min)
    for (let t = low; t <= high; t++) {
      let best = Number.POSITIVE_INFINITY
      let bestIndex = -1
      for (let i = 0; i < lengths.length; i++) {
        const length = lengths[i]!
        if (length > t) break
        const cost = previous[t - length]! + length * length
        if (cost < best) {
          best = cost
          bestIndex = i
        }
      }
      current[t] = best
      if (bestIndex >= 0) choice[n * width + t] = bestIndex + 1
    }
    ;[previous, current] = [current, previous]
  }
  if (!Number.isFinite(previous[seconds]!)) return undefined
  const split: Array<number> = []
  for (let n = count, t = seconds; n > 0; n--) {
    const length = lengths[choice[n * width + t]! - 1]!
    split.push(length)
    t -= length
  }
  return split.sort((a, b) => b - a)
}

/** Totals reachable with exactly `count` clips, as a bit set (bit t set ⇔ t reachable). */
const reachableTotals = (count: number, lengths: ReadonlyArray<number>, limit?: number): bigint => {
  const mask = limit === undefined ? undefined : (1n << BigInt(limit + 1)) - 1n
  let reach = 1n
  for (let n = 0; n < count; n++) {
    let next = 0n
    for (const length of lengths) next |= reach << BigInt(length)
    reach = mask === undefined ? next : next & mask
  }
  return reach
}

const hasBit = (set: bigint, bit: number) => bit >= 0 && ((set >> BigInt(bit)) & 1n) === 1n

const unformable = ({ seconds, count, clipLengths }: SolveInput): UnformableDuration => {
  const lengths = clipLengthValues(clipLengths)
  const min = lengths[0]!
  const max = lengths[lengths.length - 1]!
  const nearestTotals: Array<number> = []
  if (isPositiveInteger(count)) {
    const reach = reachableTotals(count, lengths)
    const target = Math.round(seconds)
    for (let t = Math.min(target - 1, count * max); t >= count * min; t--) {
      if (hasBit(reach, t)) {
        nearestTotals.push(t)
        break
      }
    }
    for (let t = Math.max(target + 1, count * min); t <= count * max; t++) {
      if (hasBit(reach, t)) {
        nearestTotals.push(t)
        break
      }
    }
  }
  const validCounts: Array<number> = []
  if (isPositiveInteger(seconds)) {
    let reach = 1n
    const mask = (1n << BigInt(seconds + 1)) - 1n
    for (let n = 1; n * min <= seconds; n++) {
      let next = 0n
      for (const length of lengths) next |= reach << BigInt(length)
      reach = next & mask
      if (n * max >= seconds && hasBit(reach, seconds)) validCounts.push(n)
    }
  }
  return new UnformableDuration({
    seconds: Number.isFinite(seconds) ? Math.trunc(seconds) : 0,
    count: Number.isFinite(count) ? Math.trunc(count) : 0,
    clipLengths: describeClipLengths(clipLengths),
    nearestTotals,
    validCounts
  })
}
