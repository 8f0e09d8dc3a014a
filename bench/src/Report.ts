/** Medians over repeated runs, issue 15's targets judged on them, and the README tables. */
import type { RunnerMetrics, Scenario, SeamTimeline } from "./Harness.ts"
import type { Runner } from "./Runners.ts"

export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}

export const spread = (xs: ReadonlyArray<number>): Spread => {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (sorted.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN }
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { min: sorted[0]!, median: Math.round(median * 1000) / 1000, max: sorted[sorted.length - 1]! }
}

type Scalar = Exclude<
  {
    [K in keyof RunnerMetrics]-?: RunnerMetrics[K] extends number ? K : never
  }[keyof RunnerMetrics],
  undefined
>

export interface ScenarioResult extends Scenario {
  readonly runs: number
  /** Per runner: the median of every figure, and each run's figures. */
  readonly runnersMedian: Partial<Record<Runner, Partial<Record<Scalar, number>>>>
  readonly raw: ReadonlyArray<Partial<Record<Runner, RunnerMetrics>>>
}

export const aggregate = (scenario: Scenario, raw: ReadonlyArray<Partial<Record<Runner, RunnerMetrics>>>) => {
  const runnersMedian: Partial<Record<Runner, Partial<Record<Scalar, number>>>> = {}
  for (const runner of ["loop", "cli", "sdk"] as const) {
    const runs = raw.map((r) => r[runner]).filter((m): m is RunnerMetrics => m !== undefined)
    if (runs.length === 0) continue
    const medians: Partial<Record<Scalar, number>> = {}
    for (const [key, value] of Object.entries(runs[0]!)) {
      if (typeof value === "number") medians[key as Scalar] = spread(runs.map((m) => m[key as Scalar])).median
    }
    runnersMedian[runner] = medians
  }
  return { ...scenario, runs: raw.length, runnersMedian, raw } satisfies ScenarioResult
}

export interface OfflineResult {
  readonly segments: number
  readonly wallS: number
  readonly renderWorkS: number
  readonly firstCreateS: number
}

/** `--chain keyframes`: the wall time against the keyframes' time plus one segment's simulated render. */
export interface KeyframesResult {
  readonly segments: number
  readonly simulatedSeconds: number
  readonly wallS: number
  readonly keyframesS: number
  readonly firstCreateS: number
  /** The emulator's slowest real render (renderedAt − createdAt): its own ffmpeg work on this machine. */
  readonly slowestRenderS: number
  /** First create → last completion. */
  readonly segmentsS: number
  /** Last completion → exit: downloads and the join. */
  readonly tailS: number
}

export interface StartupResult {
  readonly helpS: Spread
  readonly versionS: Spread
}

export interface Target {
  readonly target: string
  readonly scenario: string
  readonly measured: string
  readonly met: boolean
  /** Where the time goes, when not met. */
  readonly where?: string | undefined
}

// A figure that could not be measured is NaN in memory and null once read back from results/latest.json.
const missing = (x: number | null | undefined): x is null | undefined => x == null || Number.isNaN(x)
const r2 = (x: number | null | undefined) => (missing(x) ? "n/a" : x.toFixed(2))
const r3 = (x: number | null | undefined) => (missing(x) ? "n/a" : x.toFixed(3))

const median = (r: ScenarioResult, runner: Runner, key: Scalar) => r.runnersMedian[runner]?.[key] ?? Number.NaN

/** Median over the SDK runs' seams of each part (seconds): where a seam's time goes. */
export const seamBreakdown = (r: ScenarioResult): SeamTimeline | undefined => {
  const seams = r.raw.flatMap((run) => run.sdk?.seams ?? [])
  if (seams.length === 0) return undefined
  const part = (key: keyof SeamTimeline) => spread(seams.map((seam) => seam[key])).median
  return {
    seam: 0,
    gapS: part("gapS"),
    noticeS: part("noticeS"),
    downloadS: part("downloadS"),
    extractS: part("extractS"),
    uploadS: part("uploadS"),
    otherS: part("otherS")
  }
}

const describeSeam = (seam: SeamTimeline | undefined) =>
  seam
    ? `a seam (SDK, median) takes ${r3(seam.gapS)} s: notice ${r3(seam.noticeS)}, download (before the frame) ${r3(seam.downloadS)}, extract (header, decode, resize, encode) ${r3(seam.extractS)}, upload ${r3(seam.uploadS)}, other ${r3(seam.otherS)}`
    : undefined

export const targets = (
  results: ReadonlyArray<ScenarioResult>,
  offline: ReadonlyArray<OfflineResult>,
  startup: StartupResult | undefined,
  keyframes: ReadonlyArray<KeyframesResult> = []
): Array<Target> => {
  const out: Array<Target> = []
  for (const k of keyframes) {
    const reference = k.keyframesS + k.simulatedSeconds
    const ratio = k.wallS / reference
    out.push({
      target: "keyframes: wall ≤ 1.3× (keyframe images + one segment's render)",
      scenario: `keyframes-${k.segments}-${k.simulatedSeconds}s`,
      measured: `${r2(ratio)}× (wall ${r3(k.wallS)} s; keyframes ${r3(k.keyframesS)} s + one render ${k.simulatedSeconds} s)`,
      met: ratio <= 1.3,
      where:
        ratio <= 1.3
          ? undefined
          : `${r3(k.wallS - reference)} s beyond: ${r3(k.firstCreateS)} s to the first create (start-up, plan, keyframes), ${r3(k.segmentsS)} s of segments (the emulator's slowest real render ${r3(k.slowestRenderS)} s against ${k.simulatedSeconds} s simulated: all ${k.segments} rendered by ffmpeg at once on this machine's cores), ${r3(k.tailS)} s from the last completion to exit`
    })
  }
  const byName = (name: string) => results.find((r) => r.name === name)
  for (const r of results.filter((r) => r.mode === "chained" && r.runnersMedian.loop && r.runnersMedian.cli)) {
    const ratio = median(r, "cli", "overheadS") / median(r, "loop", "overheadS")
    const throttled = r.bytesPerSecond !== undefined
    if (r.simulatedSeconds === 8 || throttled) {
      const limit = throttled ? 0.2 : 0.5
      out.push({
        target: `overhead ≤ ${limit}× the plain loop's${throttled ? " (throttled download, large clips)" : " (loopback, 8 s renders)"}`,
        scenario: r.name,
        measured: `${r2(ratio)}× (longsora ${r3(median(r, "cli", "overheadS"))} s, loop ${r3(median(r, "loop", "overheadS"))} s; SDK ${r3(median(r, "sdk", "overheadS"))} s)`,
        met: ratio <= limit,
        where: describeSeam(seamBreakdown(r))
      })
    }
    if (!throttled) {
      const gap = median(r, "cli", "seamGapMeanS")
      const loopGap = median(r, "loop", "seamGapMeanS")
      out.push({
        target: "seam gap (completion → next create) ≤ the plain loop's",
        scenario: r.name,
        measured: `longsora ${r3(gap)} s, loop ${r3(loopGap)} s (${r2(gap / loopGap)}×); SDK ${r3(median(r, "sdk", "seamGapMeanS"))} s`,
        met: gap <= loopGap,
        where: describeSeam(seamBreakdown(r))
      })
    }
  }
  for (const setting of [4, 8]) {
    const three = byName(`chained-3-${setting}s`)
    const ten = byName(`chained-10-${setting}s`)
    if (!three || !ten) continue
    const a = median(three, "cli", "seamGapMeanS")
    const b = median(ten, "cli", "seamGapMeanS")
    out.push({
      target: "overhead flat in the number of segments: per-seam gap, 10 vs 3 segments, within 20 %",
      scenario: `chained-10-${setting}s vs chained-3-${setting}s`,
      measured: `${r3(b)} s vs ${r3(a)} s (${r2(b / a)}×)`,
      met: Math.abs(b / a - 1) <= 0.2
    })
  }
  const firstCreates = results.flatMap((r) => r.raw.map((run) => run.cli?.firstCreateS ?? Number.NaN))
  if (startup) {
    out.push({
      target: "`longsora --help` < 0.5 s (process start to exit)",
      scenario: "startup",
      measured: `${r3(startup.helpS.median)} s (min ${r3(startup.helpS.min)}, max ${r3(startup.helpS.max)}); --version ${r3(startup.versionS.median)} s`,
      met: startup.helpS.median < 0.5
    })
  }
  if (firstCreates.some((x) => !Number.isNaN(x))) {
    const first = spread(firstCreates)
    out.push({
      target: "process start → first create < 0.5 s (`longsora generate`)",
      scenario: "every chained/independent run",
      measured: `${r3(first.median)} s (min ${r3(first.min)}, max ${r3(first.max)})`,
      met: first.median < 0.5
    })
  }
  for (const o of offline) {
    const ratio = o.wallS / o.renderWorkS
    out.push({
      target: "offline run ≤ 1.5× the emulator's real render work (renderedAt − createdAt, summed)",
      scenario: `offline-${o.segments}`,
      measured: `${r2(ratio)}× (wall ${r3(o.wallS)} s, render work ${r3(o.renderWorkS)} s, first create ${r3(o.firstCreateS)} s)`,
      met: ratio <= 1.5,
      where:
        ratio <= 1.5
          ? undefined
          : `${r3(o.wallS - o.renderWorkS)} s beyond the renders: ${r3((o.wallS - o.renderWorkS) / o.segments)} s a segment (start-up, emulator start, plan, notice, download, extract, upload, join)`
    })
  }
  for (const r of results.filter((r) => r.mode === "independent")) {
    const ratio = median(r, "cli", "wallOverReference")
    out.push({
      target: "independent, 10 segments: wall ≤ 1.3× one segment's render",
      scenario: r.name,
      measured: `${r2(ratio)}× (wall ${r3(median(r, "cli", "wallS"))} s; the emulator's slowest job ${r3(median(r, "cli", "emulatorJobsS"))} s)`,
      met: ratio <= 1.3
    })
  }
  return out
}

const runnerColumns: ReadonlyArray<
  [string, (m: Partial<Record<Scalar, number>>, loop: Partial<Record<Scalar, number>> | undefined) => string]
> = [
  ["wall s", (m) => r3(m.wallS)],
  ["overhead s (%)", (m) => `${r3(m.overheadS)} (${r2(m.overheadPct)} %)`],
  ["overhead ÷ loop's", (m, loop) => (loop?.overheadS ? r2((m.overheadS ?? Number.NaN) / loop.overheadS) : "n/a")],
  ["start → 1st create s", (m) => r3(m.firstCreateS)],
  ["seam gap s", (m) => r3(m.seamGapMeanS)],
  [
    "seam gap ÷ loop's",
    (m, loop) => (loop?.seamGapMeanS ? r2((m.seamGapMeanS ?? Number.NaN) / loop.seamGapMeanS) : "n/a")
  ],
  ["last completion → exit s", (m) => r3(m.tailS)],
  ["render work s", (m) => r3(m.renderWorkS)]
]

export const table = (results: ReadonlyArray<ScenarioResult>): string => {
  const head = `| scenario | runner | ${runnerColumns.map(([name]) => name).join(" | ")} |`
  const rule = `| --- | --- | ${runnerColumns.map(() => "---").join(" | ")} |`
  const rows = results.flatMap((r) =>
    (["loop", "cli", "sdk"] as const).flatMap((runner) => {
      const m = r.runnersMedian[runner]
      if (!m) return []
      const name = runner === "cli" ? "longsora" : runner === "sdk" ? "SDK" : "plain loop"
      return [`| ${r.name} | ${name} | ${runnerColumns.map(([, cell]) => cell(m, r.runnersMedian.loop)).join(" | ")} |`]
    })
  )
  return [head, rule, ...rows].join("\n")
}

export const seamTable = (results: ReadonlyArray<ScenarioResult>): string => {
  const rows = results.flatMap((r) => {
    const seam = seamBreakdown(r)
    return seam
      ? [
          `| ${r.name} | ${r3(seam.gapS)} | ${r3(seam.noticeS)} | ${r3(seam.downloadS)} | ${r3(seam.extractS)} | ${r3(seam.uploadS)} | ${r3(seam.otherS)} |`
        ]
      : []
  })
  return [
    "| scenario (SDK, median seam) | gap s | notice s | download before the frame s | extract s | upload s | other s |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows
  ].join("\n")
}

export const offlineTable = (offline: ReadonlyArray<OfflineResult>): string =>
  [
    "| offline run | wall s | render work s | wall ÷ render work | start → 1st create s |",
    "| --- | --- | --- | --- | --- |",
    ...offline.map(
      (o) =>
        `| ${o.segments} segments | ${r3(o.wallS)} | ${r3(o.renderWorkS)} | ${r2(o.wallS / o.renderWorkS)} | ${r3(o.firstCreateS)} |`
    )
  ].join("\n")

export const targetTable = (list: ReadonlyArray<Target>): string =>
  [
    "| target | scenario | measured (median) | met | where the time goes |",
    "| --- | --- | --- | --- | --- |",
    ...list.map(
      (t) =>
        `| ${t.target} | ${t.scenario} | ${t.measured} | ${t.met ? "met" : "**not met**"} | ${t.met ? "" : (t.where ?? "")} |`
    )
  ].join("\n")
