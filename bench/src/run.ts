/**
 * `pnpm bench`: end-to-end scenarios against the emulator, repeated, written to
 * results/latest.json and summarised below the marker in README.md. `--quick`: one short scenario,
 * once, printed and written to results/quick.json only. `--runs N` changes the repetition.
 * `--only NAME[,NAME]`: just those scenarios (e.g. chained-3-8s), written to results/quick.json only.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { runScenario, type Scenario } from "./Harness.ts"
import {
  aggregate,
  type KeyframesResult,
  type OfflineResult,
  offlineTable,
  type ScenarioResult,
  type StartupResult,
  seamTable,
  spread,
  table,
  targets,
  targetTable
} from "./Report.ts"
import { runKeyframes, runOffline, timeCommand } from "./Runners.ts"

const args = process.argv.slice(2)
const onlyFlag = args.indexOf("--only")
const only = onlyFlag >= 0 ? (args[onlyFlag + 1] ?? "").split(",") : undefined
// A partial run never replaces the full results.
const quick = args.includes("--quick") || only !== undefined
const runsFlag = args.indexOf("--runs")
const runs = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 1

/**
 * Issue 15's settings. Loopback: the emulator's clips (about 0.7 MB per 4 s, 1.4 MB per 8 s) as fast
 * as loopback serves them. Throttled: 8 s clips at 1.4 MB/s, so each download takes as long as a
 * realistic 5 MB 720p clip at 5 MB/s (about 1 s).
 */
const all: Array<Scenario> = [
  { name: "chained-3-8s", mode: "chained", segments: 3, simulatedSeconds: 8 },
  { name: "chained-10-8s", mode: "chained", segments: 10, simulatedSeconds: 8 },
  { name: "chained-3-4s", mode: "chained", segments: 3, simulatedSeconds: 4 },
  { name: "chained-10-4s", mode: "chained", segments: 10, simulatedSeconds: 4 },
  {
    // A constant 1.4 Mbit/s: every runner's clips are the same size whatever their prompts (the emulator's default
    // constant quality made the plain loop's simpler pictures smaller, so its downloads shorter).
    name: "chained-3-8s-throttled",
    mode: "chained",
    segments: 3,
    simulatedSeconds: 8,
    clipSeconds: 8,
    videoBitrate: 1_400_000,
    bytesPerSecond: 1_400_000
  },
  {
    // Provider-sized clips: 8 s of 720p at 5 Mbit/s (about 5 MB) through a 5 MB/s download, about 1 s a clip.
    name: "chained-3-8s-realistic",
    mode: "chained",
    segments: 3,
    simulatedSeconds: 8,
    clipSeconds: 8,
    videoBitrate: 5_000_000,
    bytesPerSecond: 5_000_000
  },
  {
    name: "independent-10-8s-keep",
    mode: "independent",
    segments: 10,
    simulatedSeconds: 8,
    maxConcurrency: 10,
    seam: "keep",
    runners: ["cli"]
  }
]
const offlineSegments = quick ? [] : [3, 10, 30]
/** `--chain keyframes`, 5 segments of 8 s at a 20 s render each (real Veo renders take minutes). */
const keyframesScenario = { name: "keyframes-5-20s", segments: 5, simulatedSeconds: 20 }
const runKeyframesScenario = !quick || (only?.includes(keyframesScenario.name) ?? false)
const scenarios = only
  ? all.filter((s) => only.includes(s.name))
  : quick
    ? [{ ...all[2]!, name: "quick-2-1s", segments: 2, simulatedSeconds: 1 }]
    : all
if (only && scenarios.length + (runKeyframesScenario ? 1 : 0) !== only.length) {
  console.error(`--only takes scenario names among: ${[...all, keyframesScenario].map((s) => s.name).join(", ")}`)
  process.exit(2)
}

const git = (...a: Array<string>) => execFileSync("git", a, { encoding: "utf8" }).trim()
// BENCH_COMMIT: when run from an export of a commit (`git archive`) rather than the working tree.
const pinned = process.env.BENCH_COMMIT
const root = new URL("../", import.meta.url)
const meta = {
  commit: pinned ?? git("rev-parse", "HEAD"),
  dirty: pinned ? false : git("status", "--porcelain", "--untracked-files=no") !== "",
  date: new Date().toISOString(),
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? "unknown",
  loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  runsPerScenario: runs,
  settings: {
    clip: "4 s (throttled: 8 s), 1280x720, sora-2",
    emulator: "child process, one per scenario run, shared by its runners in turn (plain loop, longsora, SDK)",
    runners:
      "each its own process timed from spawn to exit: PlainLoop.ts; node packages/cli/dist/bin.js generate …; LongSoraChild.ts (SDK layers)",
    offline: "node packages/cli/dist/bin.js generate … --offline (embedded emulator, default render settings)"
  }
}

const results: Array<ScenarioResult> = []
const offline: Array<OfflineResult> = []
const keyframes: Array<KeyframesResult> = []
let startup: StartupResult | undefined
// --from-results: only regenerate the README from results/latest.json (e.g. after an interrupted run).
const fromResults = args.includes("--from-results")
if (fromResults) {
  const saved = JSON.parse(readFileSync(new URL("results/latest.json", root), "utf8")) as typeof meta & {
    scenarios: Array<ScenarioResult>
    offline: Array<OfflineResult>
    keyframes?: Array<KeyframesResult>
    startup: StartupResult | undefined
  }
  Object.assign(meta, {
    ...saved,
    scenarios: undefined,
    targets: undefined,
    offline: undefined,
    keyframes: undefined,
    startup: undefined
  })
  results.push(...saved.scenarios)
  offline.push(...saved.offline)
  keyframes.push(...(saved.keyframes ?? []))
  startup = saved.startup
}
if (!fromResults && !quick) {
  // One `generate` fills the ffmpeg check's cache first, as any earlier run on a user's machine has.
  await timeCommand(["--version"], 1)
  const help = await timeCommand(["--help"], 7)
  const version = await timeCommand(["--version"], 7)
  startup = { helpS: spread(help), versionS: spread(version) }
  console.log(`longsora --help: ${startup.helpS.median} s; --version: ${startup.versionS.median} s`)
}
for (const scenario of fromResults ? [] : scenarios) {
  const raw = []
  for (let i = 1; i <= runs; i++) {
    const metrics = await runScenario(scenario)
    for (const [runner, m] of Object.entries(metrics)) {
      console.log(
        `${scenario.name} run ${i}/${runs} ${runner}: wall ${m.wallS} s, overhead ${m.overheadS} s, first create ${m.firstCreateS} s, seam gap ${m.seamGapMeanS} s`
      )
    }
    raw.push(metrics)
  }
  results.push(aggregate(scenario, raw))
  // Written after every scenario, so an interrupted run keeps what it measured.
  write()
}
for (const segments of fromResults ? [] : offlineSegments) {
  const dir = mkdtempSync(join(tmpdir(), "longsora-bench-offline-"))
  try {
    const run = await runOffline(segments, dir)
    const jobs = run.jobs.filter((job) => run.jobIds.includes(job.id))
    const work = jobs.reduce((total, job) => total + ((job.renderedAt ?? Number.NaN) - job.createdAt), 0)
    const first = Math.min(...jobs.map((job) => job.createdAt))
    offline.push({
      segments,
      wallS: (run.exitedAt - run.spawnedAt) / 1000,
      renderWorkS: work / 1000,
      firstCreateS: (first - run.spawnedAt) / 1000
    })
    console.log(`offline ${segments}: wall ${(run.exitedAt - run.spawnedAt) / 1000} s, render work ${work / 1000} s`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  write()
}

if (!fromResults && runKeyframesScenario) {
  const dir = mkdtempSync(join(tmpdir(), "longsora-bench-keyframes-"))
  try {
    const { segments, simulatedSeconds } = keyframesScenario
    const run = await runKeyframes(segments, simulatedSeconds, dir)
    keyframes.push({ segments, simulatedSeconds, ...run })
    console.log(
      `keyframes ${segments}: wall ${run.wallS} s, keyframes ${run.keyframesS} s, one render ${simulatedSeconds} s`
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  write()
}

function write() {
  const judged = quick && keyframes.length === 0 ? [] : targets(results, offline, startup, keyframes)
  const document = {
    ...meta,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    startup,
    scenarios: results,
    offline,
    keyframes,
    targets: judged
  }
  mkdirSync(new URL("results/", root), { recursive: true })
  writeFileSync(
    new URL(quick ? "results/quick.json" : "results/latest.json", root),
    `${JSON.stringify(document, null, 2)}\n`
  )
  return { judged, document }
}
const { judged, document } = fromResults
  ? { judged: targets(results, offline, startup, keyframes), document: meta }
  : write()
console.log(`\n${table(results)}\n\n${seamTable(results)}\n`)
if (!quick) {
  console.log(`${offlineTable(offline)}\n\n${targetTable(judged)}\n`)
  const readmeUrl = new URL("README.md", root)
  const MARKER = "<!-- results: regenerated by `pnpm bench`; edit above this line -->"
  const readme = readFileSync(readmeUrl, "utf8")
  const intro = readme.includes(MARKER) ? readme.slice(0, readme.indexOf(MARKER)) : `${readme.trimEnd()}\n\n`
  const generated = [
    MARKER,
    "",
    `Commit \`${meta.commit.slice(0, 10)}\`${meta.dirty ? " (with uncommitted changes)" : ""}, ${meta.date}, Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}), load average ${meta.loadAverageAtStart.join(" ")} at start and ${(document as { loadAverageAtEnd?: Array<number> }).loadAverageAtEnd?.join(" ")} at the end; ${meta.runsPerScenario} run(s) per scenario, medians shown (every run in \`results/latest.json\`).`,
    "",
    table(results),
    "",
    seamTable(results),
    "",
    offlineTable(offline),
    "",
    targetTable(judged),
    ""
  ].join("\n")
  writeFileSync(readmeUrl, `${intro}${generated}`)
}
