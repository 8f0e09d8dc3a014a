/** Aggregation over repeated runs (min/median/max), the targets, and the README table. */
import type { RunMetrics, Scenario } from "./Harness.ts"

export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}

export type Aggregated = {
  readonly [K in keyof RunMetrics]: RunMetrics[K] extends number
    ? Spread
    : RunMetrics[K] extends boolean
      ? boolean
      : RunMetrics[K]
}

export interface ScenarioResult extends Scenario {
  readonly runs: number
  readonly metrics: Aggregated
  readonly raw: ReadonlyArray<RunMetrics>
}

export const spread = (xs: ReadonlyArray<number>): Spread => {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (sorted.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN }
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { min: sorted[0]!, median: Math.round(median * 1000) / 1000, max: sorted[sorted.length - 1]! }
}

export const aggregate = (scenario: Scenario, raw: ReadonlyArray<RunMetrics>): ScenarioResult => {
  const first = raw[0]!
  const metrics: Record<string, unknown> = {}
  for (const key of Object.keys(first) as Array<keyof RunMetrics>) {
    const value = first[key]
    if (typeof value === "number") metrics[key] = spread(raw.map((r) => r[key] as number))
    // A boolean holds only when it held in every run.
    else if (typeof value === "boolean") metrics[key] = raw.every((r) => r[key] === true)
    else metrics[key] = value
  }
  return { ...scenario, runs: raw.length, metrics: metrics as Aggregated, raw }
}

export interface Target {
  readonly target: string
  readonly scenario: string
  readonly measured: string
  readonly met: boolean
}

const find = (results: ReadonlyArray<ScenarioResult>, name: string) => results.find((r) => r.name === name)

/** The targets, judged on medians. */
export const targets = (results: ReadonlyArray<ScenarioResult>, longSetting: number): Array<Target> => {
  const out: Array<Target> = []
  for (const r of results) {
    const m = r.metrics
    if (r.mode === "chained" && r.simulatedSeconds === longSetting) {
      out.push({
        target: "overhead < 3 % of the simulated render time",
        scenario: r.name,
        measured: `${m.overheadPct.median} % (LongSora's own, real renders excluded: ${m.ownOverheadPct.median} %)`,
        met: m.overheadPct.median < 3
      })
    }
    if (r.mode === "chained") {
      out.push({
        target: "completion noticed within 1 s, at most one poll per 2 s",
        scenario: r.name,
        measured: `noticed after ${m.noticeMeanS.median} s mean / ${m.noticeMaxS.median} s max; a poll every ${m.secondsBetweenPolls.median} s`,
        met: m.noticeMaxS.median <= 1 && m.secondsBetweenPolls.median >= 2
      })
      out.push({
        target: "planning overlapped (first create before the plan is done)",
        scenario: r.name,
        measured: `first create after ${m.timeToFirstCreateS.median} s; planning ${m.planningS.median} s`,
        met: m.planningOverlapped
      })
    }
    if (r.mode === "independent") {
      out.push({
        target: `independent, 10 segments${r.seam === "keep" ? " joined by copy (no crossfade)" : ""}: wall < 1.3× one segment's render time`,
        scenario: r.name,
        measured: `${m.wallOverReference.median}× (against the emulator's slowest actual job: ${(m.wallS.median / m.emulatorJobsS.median).toFixed(2)}×)`,
        met: m.wallOverReference.median < 1.3
      })
    }
  }
  for (const setting of new Set(results.map((r) => r.simulatedSeconds))) {
    const three = find(results, `chained-3-${setting}s`)
    const ten = find(results, `chained-10-${setting}s`)
    if (three && ten) {
      const ratio = ten.metrics.peakRssMiB.median / three.metrics.peakRssMiB.median
      out.push({
        target: "peak RSS for 10 segments within 20 % of 3",
        scenario: `chained-10-${setting}s vs chained-3-${setting}s`,
        measured: `${ten.metrics.peakRssMiB.median} MiB vs ${three.metrics.peakRssMiB.median} MiB (${ratio.toFixed(2)}×)`,
        met: ratio <= 1.2
      })
    }
  }
  return out
}

const columns: ReadonlyArray<[string, (r: ScenarioResult) => string]> = [
  ["scenario", (r) => r.name],
  ["wall s", (r) => `${r.metrics.wallS.median}`],
  ["simulated s", (r) => `${r.metrics.referenceS.median}`],
  ["overhead s (%)", (r) => `${r.metrics.overheadS.median} (${r.metrics.overheadPct.median} %)`],
  ["own overhead s (%)", (r) => `${r.metrics.ownOverheadS.median} (${r.metrics.ownOverheadPct.median} %)`],
  ["real render s", (r) => `${r.metrics.realRenderMeanS.median}`],
  ["notice mean/max s", (r) => `${r.metrics.noticeMeanS.median} / ${r.metrics.noticeMaxS.median}`],
  ["polls/job", (r) => `${r.metrics.pollsPerJob.median}`],
  ["s/poll", (r) => `${r.metrics.secondsBetweenPolls.median}`],
  ["1st create s", (r) => `${r.metrics.timeToFirstCreateS.median}${r.metrics.planningOverlapped ? " ✓" : ""}`],
  ["plan s", (r) => `${r.metrics.planningS.median}`],
  ["upload s", (r) => `${r.metrics.uploadS.median}`],
  ["download s", (r) => `${r.metrics.downloadS.median}`],
  ["extract s", (r) => `${r.metrics.extractS.median}`],
  ["join s", (r) => `${r.metrics.joinS.median}`],
  ["req/seg", (r) => `${r.metrics.requestsPerSegment.median}`],
  ["peak RSS MiB", (r) => `${r.metrics.peakRssMiB.median}`]
]

export const table = (results: ReadonlyArray<ScenarioResult>): string => {
  const head = `| ${columns.map(([name]) => name).join(" | ")} |`
  const rule = `| ${columns.map(() => "---").join(" | ")} |`
  const rows = results.map((r) => `| ${columns.map(([, cell]) => cell(r)).join(" | ")} |`)
  return [head, rule, ...rows].join("\n")
}

export const targetTable = (list: ReadonlyArray<Target>): string =>
  [
    "| target | scenario | measured (median) | met |",
    "| --- | --- | --- | --- |",
    ...list.map((t) => `| ${t.target} | ${t.scenario} | ${t.measured} | ${t.met ? "yes" : "**no**"} |`)
  ].join("\n")
