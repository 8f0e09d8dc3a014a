/**
 * Splits a total length into exactly N clips of lengths a model accepts, as evenly as possible
 * (least sum of squares, i.e. least variance), longest first: 24 s / 3 of {4, 8, 12} → 8+8+8;
 * 20 s / 2 → 12+8. An arithmetic range (or a set that is one) has a closed form; any other set is
 * solved by dynamic programming over (count, total). When no split exists the error names the
 * nearest totals that work for N and the counts that work for the total.
 *
 * The work never depends on the value of the total: totals outside `count × shortest …
 * count × longest` are refused at once, and the dynamic programme runs over clip lengths reduced by
 * their common step, at most `count × (longest − shortest) / step` totals per row. Counts are searched
 * up to `maxSegments` only, so a huge total or count costs no more than the largest real run.
 */
import { Result } from "effect"
import { type ClipLengths, clipLengthsProblem, clipLengthValues, describeClipLengths } from "./Capabilities.ts"
import { UnformableDuration } from "./Errors.ts"
import { maxSegments } from "./LongVideoRequest.ts"

export interface SolveInput {
  /** Total seconds, a positive integer. */
  readonly seconds: number
  /** Number of clips, a positive integer. */
  readonly count: number
  readonly clipLengths: ClipLengths
}

/**
 * The most even split, or why there is none. Lengths that `clipLengthsProblem` refuses (validation
 * reports those first) give no split and no suggestions rather than unbounded work.
 */
export const solve = (input: SolveInput): Result.Result<ReadonlyArray<number>, UnformableDuration> => {
  const { seconds, count } = input
  const lengths = clipLengthsProblem(input.clipLengths) === undefined ? Lengths.of(input.clipLengths) : undefined
  const split =
    lengths && isPositiveInteger(seconds) && isPositiveInteger(count) && count <= maxSegments
      ? lengths.arithmetic
        ? solveArithmetic(seconds, count, lengths)
        : solveSet(seconds, count, lengths)
      : undefined
  return split ? Result.succeed(split) : Result.fail(unformable(input, lengths))
}

/** Sum of squares of a split: the evenness measure the solver minimises. */
export const unevenness = (split: ReadonlyArray<number>): number => split.reduce((sum, s) => sum + s * s, 0)

const isPositiveInteger = (n: number) => Number.isInteger(n) && n > 0

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/**
 * Allowed lengths as `min + step × unit`, with `units` the sorted distinct unit counts (0 first):
 * {4, 8, 12} is min 4, step 4, units [0, 1, 2]. `arithmetic` when every unit up to the last is there.
 */
interface Lengths {
  readonly min: number
  readonly max: number
  readonly step: number
  readonly units: ReadonlyArray<number>
  readonly maxUnit: number
  readonly arithmetic: boolean
}

const Lengths = {
  of: (clipLengths: ClipLengths): Lengths => {
    if (clipLengths._tag === "ClipLengthRange") {
      const { min, step } = clipLengths
      // A range is never enumerated: its units are 0…maxUnit, all present.
      const maxUnit = Math.max(0, Math.floor((clipLengths.max - min) / step))
      return { min, max: min + maxUnit * step, step, units: [], maxUnit, arithmetic: true }
    }
    const values = clipLengthValues(clipLengths)
    const min = values[0]!
    const max = values[values.length - 1]!
    const step = values.reduce((g, value) => gcd(g, value - min), 0) || 1
    const units = values.map((value) => (value - min) / step)
    const maxUnit = units[units.length - 1]!
    return { min, max, step, units, maxUnit, arithmetic: units.length === maxUnit + 1 }
  }
}

/** The units `count` clips must add up to for `seconds`, if whole and within reach. */
const unitsFor = (seconds: number, count: number, lengths: Lengths): number | undefined => {
  const units = (seconds - count * lengths.min) / lengths.step
  return Number.isInteger(units) && units >= 0 && units <= count * lengths.maxUnit ? units : undefined
}

const toSeconds = (units: number, lengths: Lengths) => lengths.min + units * lengths.step

/** Every unit count 0…maxUnit is allowed: spread the units as evenly as possible. */
const solveArithmetic = (seconds: number, count: number, lengths: Lengths) => {
  const total = unitsFor(seconds, count, lengths)
  if (total === undefined) return undefined
  const base = Math.floor(total / count)
  const longer = total % count
  return Array.from({ length: count }, (_, i) => toSeconds(i < longer ? base + 1 : base, lengths))
}

/**
 * Least sum of squared units over exactly `count` clips reaching `target` units (with the count and
 * the total fixed, that is least sum of squared seconds). Rows are clip counts, columns unit totals.
 */
const solveSet = (seconds: number, count: number, lengths: Lengths) => {
  const target = unitsFor(seconds, count, lengths)
  if (target === undefined) return undefined
  const { units, maxUnit } = lengths
  const width = target + 1
  // choice[n * width + t] = 1 + index of the last clip of an optimal n-clip split of t units (0: none).
  const choice = new Uint16Array((count + 1) * width)
  let previous = new Float64Array(width).fill(Number.POSITIVE_INFINITY)
  let current = new Float64Array(width)
  previous[0] = 0
  for (let n = 1; n <= count; n++) {
    current.fill(Number.POSITIVE_INFINITY)
    // A total is only useful if the remaining clips can still reach the target.
    const low = Math.max(0, target - (count - n) * maxUnit)
    const high = Math.min(n * maxUnit, target)
    for (let t = low; t <= high; t++) {
      let best = Number.POSITIVE_INFINITY
      let bestIndex = -1
      for (let i = 0; i < units.length; i++) {
        const unit = units[i]!
        if (unit > t) break
        const cost = previous[t - unit]! + unit * unit
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
  if (!Number.isFinite(previous[target]!)) return undefined
  const split: Array<number> = []
  for (let n = count, t = target; n > 0; n--) {
    const unit = units[choice[n * width + t]! - 1]!
    split.push(toSeconds(unit, lengths))
    t -= unit
  }
  return split.sort((a, b) => b - a)
}

/**
 * Which unit totals `count` clips can make, for counts 1, 2, … in turn. A set keeps a bit set of
 * at most `count × maxUnit` bits; a range reaches every total between its ends.
 */
const reachability = (lengths: Lengths) => {
  let count = 0
  let reach = 1n
  return {
    next: () => {
      count++
      if (lengths.arithmetic) return
      let next = 0n
      for (const unit of lengths.units) next |= reach << BigInt(unit)
      reach = next
    },
    has: (units: number) =>
      units >= 0 && units <= count * lengths.maxUnit && (lengths.arithmetic || ((reach >> BigInt(units)) & 1n) === 1n)
  }
}

/** The reachable totals of `count` clips nearest to `seconds`, below and above. */
const nearestTotals = (seconds: number, count: number, lengths: Lengths): Array<number> => {
  if (!isPositiveInteger(count) || count > maxSegments || Number.isNaN(seconds)) return []
  const reach = reachability(lengths)
  for (let n = 0; n < count; n++) reach.next()
  const span = count * lengths.maxUnit
  // Unit totals strictly below and above `seconds`, clamped to what `count` clips can make.
  const belowStart = Math.min(span, Math.ceil((seconds - count * lengths.min) / lengths.step) - 1)
  const aboveStart = Math.max(0, Math.floor((seconds - count * lengths.min) / lengths.step) + 1)
  const totals: Array<number> = []
  for (let u = belowStart; u >= 0; u--) {
    if (reach.has(u)) {
      totals.push(count * lengths.min + u * lengths.step)
      break
    }
  }
  for (let u = aboveStart; u <= span; u++) {
    if (reach.has(u)) {
      totals.push(count * lengths.min + u * lengths.step)
      break
    }
  }
  return totals
}

/** The clip counts (up to `maxSegments`) that can make exactly `seconds`. */
const validCounts = (seconds: number, lengths: Lengths): Array<number> => {
  if (!isPositiveInteger(seconds)) return []
  const counts: Array<number> = []
  const last = Math.min(maxSegments, Math.floor(seconds / lengths.min))
  const reach = reachability(lengths)
  for (let n = 1; n <= last; n++) {
    reach.next()
    const units = unitsFor(seconds, n, lengths)
    if (units !== undefined && reach.has(units)) counts.push(n)
  }
  return counts
}

const unformable = ({ seconds, count, clipLengths }: SolveInput, lengths: Lengths | undefined): UnformableDuration =>
  new UnformableDuration({
    seconds: Number.isFinite(seconds) ? Math.trunc(seconds) : 0,
    count: Number.isFinite(count) ? Math.trunc(count) : 0,
    clipLengths: describeClipLengths(clipLengths),
    nearestTotals: lengths ? nearestTotals(seconds, count, lengths) : [],
    validCounts: lengths ? validCounts(seconds, lengths) : []
  })

export interface ExtendedSolveInput {
  readonly seconds: number
  /** Clips in all: the first clip and `count - 1` extension steps. */
  readonly count: number
  /** Lengths of the first clip. */
  readonly first: ClipLengths
  /** Lengths of each extension step. */
  readonly extension: ClipLengths
  /** The most clips (first plus steps) and seconds the provider allows; bound the suggestions. */
  readonly maxCount?: number | undefined
  readonly maxSeconds?: number | undefined
}

/** `[first, ...steps]` of `count` clips adding up to `seconds`, the most even, if there is one. */
const extendedSplit = (
  seconds: number,
  count: number,
  input: ExtendedSolveInput
): ReadonlyArray<number> | undefined => {
  if (count === 1) return Result.getOrUndefined(solve({ seconds, count: 1, clipLengths: input.first }))
  let best: ReadonlyArray<number> | undefined
  for (const first of clipLengthValues(input.first)) {
    const rest = solve({ seconds: seconds - first, count: count - 1, clipLengths: input.extension })
    if (Result.isFailure(rest)) continue
    const split = [first, ...rest.success]
    if (best === undefined || unevenness(split) < unevenness(best)) best = split
  }
  return best
}

/**
 * The most even split for native extension (`chain: extend`): a first clip of the model's lengths,
 * then `count - 1` steps of its extension lengths. The first clip's lengths are at most
 * `maxClipLengthChoices` (or a bounded range), so this is that many ordinary solves.
 */
export const solveExtended = (input: ExtendedSolveInput): Result.Result<ReadonlyArray<number>, UnformableDuration> => {
  const { seconds, count } = input
  const usable =
    clipLengthsProblem(input.first) === undefined &&
    clipLengthsProblem(input.extension) === undefined &&
    isPositiveInteger(seconds) &&
    isPositiveInteger(count) &&
    count <= maxSegments
  const split = usable ? extendedSplit(seconds, count, input) : undefined
  if (split) return Result.succeed(split)
  const longest = (lengths: ClipLengths) => clipLengthValues(lengths).at(-1) ?? 0
  const shortest = (lengths: ClipLengths) => clipLengthValues(lengths)[0] ?? 1
  const reach = (n: number) => longest(input.first) + (n - 1) * longest(input.extension)
  const works = (total: number, n: number) => usable && extendedSplit(total, n, input) !== undefined
  const nearestTotals: Array<number> = []
  if (usable) {
    const top = Math.min(reach(count), input.maxSeconds ?? Number.POSITIVE_INFINITY)
    for (let total = Math.min(seconds - 1, top); total > 0; total--) {
      if (works(total, count)) {
        nearestTotals.push(total)
        break
      }
    }
    for (let total = Math.max(1, seconds + 1); total <= top; total++) {
      if (works(total, count)) {
        nearestTotals.push(total)
        break
      }
    }
  }
  const validCounts: Array<number> = []
  const fewest = (n: number) => shortest(input.first) + (n - 1) * shortest(input.extension)
  const lastCount = Math.min(maxSegments, input.maxCount ?? maxSegments)
  for (let n = 1; usable && n <= lastCount && fewest(n) <= seconds; n++) if (works(seconds, n)) validCounts.push(n)
  return Result.fail(
    new UnformableDuration({
      seconds: Number.isFinite(seconds) ? Math.trunc(seconds) : 0,
      count: Number.isFinite(count) ? Math.trunc(count) : 0,
      clipLengths: `a first clip of ${describeClipLengths(input.first)} then extensions of ${describeClipLengths(input.extension)}`,
      nearestTotals,
      validCounts
    })
  )
}
