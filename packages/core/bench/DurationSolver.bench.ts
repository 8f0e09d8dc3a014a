/**
 * Solver speed on large work: 3600 s in 300 segments must split in well under 100 ms, and huge totals or
 * counts must be refused at once (the work never grows with the total).
 * Prints min/median/max over repeated runs and writes bench/results.json.
 */
import { writeFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
import type { ClipLengths } from "../src/Capabilities.ts"
import { solve } from "../src/DurationSolver.ts"

interface Case {
  readonly name: string
  readonly seconds: number
  readonly count: number
  readonly clipLengths: ClipLengths
}

const set = (...seconds: Array<number>): ClipLengths => ({
  _tag: "ClipLengthSet",
  seconds: [seconds[0]!, ...seconds.slice(1)]
})
const cases: ReadonlyArray<Case> = [
  { name: "sora 4/8/12: 3600 s / 300", seconds: 3600, count: 300, clipLengths: set(4, 8, 12) },
  { name: "veo 4/6/8: 3600 s / 300", seconds: 3600, count: 300, clipLengths: set(4, 6, 8) },
  {
    name: "set 4..15 (12 lengths): 3600 s / 300",
    seconds: 3600,
    count: 300,
    clipLengths: set(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
  },
  {
    name: "range 4–15: 3600 s / 300",
    seconds: 3600,
    count: 300,
    clipLengths: { _tag: "ClipLengthRange", min: 4, max: 15, step: 1 }
  },
  { name: "unformable + suggestions: 3599 s / 300", seconds: 3599, count: 300, clipLengths: set(4, 8, 12) },
  // Used to loop seconds / 4 times over growing BigInts (15 s for 1000001, never ending for 1e9).
  { name: "unformable, huge total: 1e9 s / 3", seconds: 1e9, count: 3, clipLengths: set(4, 8, 12) },
  { name: "unformable, huge count: 24 s / 1e6", seconds: 24, count: 1e6, clipLengths: set(4, 8, 12) },
  // The dynamic programme's worst case: the most lengths a set may list, spread up to the longest clip
  // allowed, not arithmetic, gcd 1.
  {
    name: "awkward set 1,2,6,10..58,60: 9001 s / 300",
    seconds: 9001,
    count: 300,
    clipLengths: set(1, 2, ...Array.from({ length: 13 }, (_, i) => 6 + 4 * i), 60)
  }
]

const runs = 25
const results = cases.map((c) => {
  solve(c) // warm-up
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    solve(c)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return {
    case: c.name,
    runs,
    minMs: +times[0]!.toFixed(3),
    medianMs: +times[Math.floor(runs / 2)]!.toFixed(3),
    maxMs: +times[runs - 1]!.toFixed(3),
    targetMs: 100,
    withinTarget: times[Math.floor(runs / 2)]! < 100
  }
})

console.table(results)
writeFileSync(
  new URL("./results.json", import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`
)
