/**
 * One benchmark run: the emulator in one child process, the LongSora side in another (fresh, so
 * its peak RSS is its own), then the timeline and the emulator's job stats turned into metrics.
 */
import { fork } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Emulator } from "@longsora/emulator"
import { once, type Runner, runCli, runLoop, startEmulator } from "./Runners.ts"
import type { ChildConfig, ChildReport, RequestRecord } from "./Timeline.ts"

export interface Scenario {
  readonly name: string
  readonly mode: "chained" | "independent"
  readonly segments: number
  /** Simulated wall seconds per 4 s clip (the emulator's `fixedSeconds`; no per-second part). */
  readonly simulatedSeconds: number
  readonly maxConcurrency?: number | undefined
  /** `keep`: join without a transition (every frame kept, a pure copy); default: the mode's own seam. */
  readonly seam?: "default" | "keep" | undefined
  /** Clip length in seconds (default 4). */
  readonly clipSeconds?: number | undefined
  /** Throttle every content download to this many bytes per second (the emulator's slow-download fault). */
  readonly bytesPerSecond?: number | undefined
  /** Render clips at this constant video bitrate (bits/s), as large as a provider's (the emulator's `videoBitrate`). */
  readonly videoBitrate?: number | undefined
  /** Which runners run it, in this order, against one emulator (default: the loop, the command, the SDK). */
  readonly runners?: ReadonlyArray<Runner> | undefined
}

/** One runner's figures in one run, from the emulator's job stats and the process's spawn and exit. */
export interface RunnerMetrics {
  readonly runner: Runner
  /** Spawn to exit: process start included. */
  readonly wallS: number
  readonly overheadS: number
  readonly overheadPct: number
  readonly wallOverReference: number
  /** Spawn to the emulator's `createdAt` of the first job. */
  readonly firstCreateS: number
  /** Per seam: the emulator's `completedAt` of segment k to the `createdAt` of segment k+1 (chained). */
  readonly seamGapsS: ReadonlyArray<number>
  readonly seamGapMeanS: number
  /** The last job's `completedAt` to the process's exit: download, last steps and the join. */
  readonly tailS: number
  readonly emulatorJobsS: number
  readonly ownOverheadS: number
  /** The emulator's real render work for these jobs: `renderedAt − createdAt`, summed. */
  readonly renderWorkS: number
  readonly creates: number
  /** SDK runs only: the in-process timeline (requests and progress events). */
  readonly detail?: RunMetrics | undefined
  /** SDK runs only: where each seam's gap went. */
  readonly seams?: ReadonlyArray<SeamTimeline> | undefined
}

/** Where one seam's time went (SDK run, chained mode), seconds. */
export interface SeamTimeline {
  readonly seam: number
  readonly gapS: number
  /** Job completed → the poll that saw it answered. */
  readonly noticeS: number
  /** The content request, first byte asked to last byte written. */
  readonly downloadS: number
  /** Clip written → last frame written: header read, decode, resize, JPEG encode. */
  readonly extractS: number
  /** Next create sent → the emulator made the job (the reference's upload). */
  readonly uploadS: number
  /** The rest: waits between these steps (manifest writes, scheduling). */
  readonly otherS: number
}

/** Every metric of one run; seconds unless named otherwise. */
export interface RunMetrics {
  readonly wallS: number
  /** Chained: the sum of the simulated render times; independent: one segment's. */
  readonly referenceS: number
  readonly simulatedSumS: number
  readonly overheadS: number
  readonly overheadPct: number
  /** Wall time ÷ the reference (independent mode: the "under 1.3×" target). */
  readonly wallOverReference: number
  readonly noticeMeanS: number
  readonly noticeMaxS: number
  readonly pollsPerJob: number
  /** Job life (create answered → completion seen) ÷ polls, averaged over jobs. */
  readonly secondsBetweenPolls: number
  readonly timeToFirstCreateS: number
  readonly planningOverlapped: boolean
  /** The Responses API call. */
  readonly planningS: number
  readonly extractS: number
  readonly uploadS: number
  readonly downloadS: number
  readonly joinS: number
  /** Creates answered → emulator `completedAt`, minus the simulated time (late completion). */
  readonly completionLatenessS: number
  /** Chained: the sum of the emulator's actual job times (create → completedAt); independent: the longest. */
  readonly emulatorJobsS: number
  /** Wall time minus `emulatorJobsS`: LongSora's own overhead, whatever the real renders cost. */
  readonly ownOverheadS: number
  readonly ownOverheadPct: number
  /** What is left of the overhead after the parts above (chained mode: they are sequential). */
  readonly otherS: number
  readonly requestsPerSegment: number
  readonly requestsByKind: Readonly<Record<string, number>>
  readonly creates: number
  readonly realRenderMeanS: number
  readonly realRenderMaxS: number
  readonly peakRssMiB: number
  readonly startupS: number
  readonly outputExists: boolean
  readonly outputBytes: number
}

const here = (file: string) => new URL(file, import.meta.url).pathname
const nodeArgs = ["--disable-warning=ExperimentalWarning"]

const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length)
const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits
const s = (ms: number) => ms / 1000

/** Turns one run's timeline and the emulator's stats into metrics. */
export const analyze = (scenario: Scenario, report: ChildReport, stats: Emulator.EmulatorStats): RunMetrics => {
  const { requests, events, t0 } = report
  const simMs = scenario.simulatedSeconds * 1000
  const wallMs = report.end - t0
  const simulatedSumMs = simMs * scenario.segments
  const referenceMs = scenario.mode === "chained" ? simulatedSumMs : simMs
  const jobs = stats.jobs.filter((job) => report.jobIds.includes(job.id))
  const byKind = (kind: RequestRecord["kind"]) => requests.filter((r) => r.kind === kind)
  const creates = byKind("create")
  const polls = byKind("poll")

  const perJob = jobs.map((job) => {
    const create = creates.find((r) => r.jobId === job.id)
    const own = polls.filter((r) => r.jobId === job.id).sort((a, b) => a.start - b.start)
    const seen = own.find((r) => r.videoStatus === "completed")
    const noticeMs = seen && job.completedAt !== null ? seen.end - job.completedAt : Number.NaN
    const lifeMs = seen && create ? seen.end - create.end : Number.NaN
    const latenessMs = job.completedAt !== null ? job.completedAt - job.createdAt - simMs : Number.NaN
    const renderMs = job.renderedAt !== null ? job.renderedAt - job.createdAt : Number.NaN
    const jobMs = job.completedAt !== null ? job.completedAt - job.createdAt : Number.NaN
    return { noticeMs, polls: own.length, lifeMs, latenessMs, renderMs, jobMs }
  })

  const completed = new Map(events.filter((e) => e.tag === "SegmentCompleted").map((e) => [e.segment, e.at]))
  const extracts = events
    .filter((e) => e.tag === "FrameExtracted")
    .map((e) => e.at - (completed.get(e.segment) ?? e.at))
  const planned = events.find((e) => e.tag === "Planned")?.at ?? Number.NaN
  const joined = events.find((e) => e.tag === "Joined")?.at ?? report.end
  const beforeJoin = Math.max(
    ...events.filter((e) => e.tag === "FrameExtracted" || e.tag === "SegmentCompleted").map((e) => e.at)
  )
  const firstCreate = Math.min(...creates.map((r) => r.start))
  const plan = byKind("plan")
  const duration = (rs: ReadonlyArray<RequestRecord>) => sum(rs.map((r) => r.end - r.start))

  const overheadMs = wallMs - referenceMs
  const jobTimes = perJob.map((j) => j.jobMs)
  const emulatorJobsMs = scenario.mode === "chained" ? sum(jobTimes) : Math.max(...jobTimes)
  const parts = {
    timeToFirstCreate: firstCreate - t0,
    upload: duration(creates),
    lateness: sum(perJob.map((j) => j.latenessMs)),
    notice: sum(perJob.map((j) => j.noticeMs)),
    download: duration(byKind("download")),
    extract: sum(extracts),
    join: joined - beforeJoin
  }
  const requestsByKind: Record<string, number> = {}
  for (const r of requests) {
    const key = r.kind === "other" ? `other ${r.method} ${r.path}` : r.kind
    requestsByKind[key] = (requestsByKind[key] ?? 0) + 1
  }

  return {
    wallS: round(s(wallMs)),
    referenceS: round(s(referenceMs)),
    simulatedSumS: round(s(simulatedSumMs)),
    overheadS: round(s(overheadMs)),
    overheadPct: round((overheadMs / referenceMs) * 100, 2),
    wallOverReference: round(wallMs / referenceMs),
    noticeMeanS: round(s(mean(perJob.map((j) => j.noticeMs)))),
    noticeMaxS: round(s(Math.max(...perJob.map((j) => j.noticeMs)))),
    pollsPerJob: round(mean(perJob.map((j) => j.polls)), 2),
    secondsBetweenPolls: round(s(mean(perJob.map((j) => j.lifeMs / Math.max(1, j.polls))))),
    timeToFirstCreateS: round(s(parts.timeToFirstCreate)),
    planningOverlapped: firstCreate < planned,
    planningS: round(s(duration(plan))),
    extractS: round(s(parts.extract)),
    uploadS: round(s(parts.upload)),
    downloadS: round(s(parts.download)),
    joinS: round(s(parts.join)),
    completionLatenessS: round(s(parts.lateness)),
    emulatorJobsS: round(s(emulatorJobsMs)),
    ownOverheadS: round(s(wallMs - emulatorJobsMs)),
    ownOverheadPct: round(((wallMs - emulatorJobsMs) / referenceMs) * 100, 2),
    otherS: scenario.mode === "chained" ? round(s(overheadMs - sum(Object.values(parts)))) : Number.NaN,
    requestsPerSegment: round(stats.requests / scenario.segments, 2),
    requestsByKind,
    creates: stats.creates,
    realRenderMeanS: round(s(mean(perJob.map((j) => j.renderMs)))),
    realRenderMaxS: round(s(Math.max(...perJob.map((j) => j.renderMs)))),
    peakRssMiB: round(report.maxRssKiB / 1024, 1),
    startupS: round(s(report.startupMs)),
    outputExists: report.output !== "" && existsSync(report.output),
    outputBytes: report.outputBytes
  }
}

/** Figures every runner has: from its spawn/exit and the emulator's stats for its jobs. */
export const common = (
  scenario: Scenario,
  runner: Runner,
  spawnedAt: number,
  exitedAt: number,
  jobIds: ReadonlyArray<string>,
  allJobs: ReadonlyArray<Emulator.EmulatorStats["jobs"][number]>
): RunnerMetrics => {
  const jobs = allJobs.filter((job) => jobIds.includes(job.id)).sort((a, b) => a.createdAt - b.createdAt)
  const simMs = scenario.simulatedSeconds * 1000
  const referenceMs = scenario.mode === "chained" ? simMs * scenario.segments : simMs
  const wallMs = exitedAt - spawnedAt
  const jobMs = jobs.map((job) => (job.completedAt ?? Number.NaN) - job.createdAt)
  const emulatorJobsMs = scenario.mode === "chained" ? sum(jobMs) : Math.max(...jobMs)
  const gaps =
    scenario.mode === "chained"
      ? jobs.slice(1).map((job, k) => job.createdAt - (jobs[k]!.completedAt ?? Number.NaN))
      : []
  const lastCompleted = Math.max(...jobs.map((job) => job.completedAt ?? Number.NaN))
  return {
    runner,
    wallS: round(s(wallMs)),
    overheadS: round(s(wallMs - referenceMs)),
    overheadPct: round(((wallMs - referenceMs) / referenceMs) * 100, 2),
    wallOverReference: round(wallMs / referenceMs),
    firstCreateS: round(s((jobs[0]?.createdAt ?? Number.NaN) - spawnedAt)),
    seamGapsS: gaps.map((gap) => round(s(gap))),
    seamGapMeanS: round(s(mean(gaps))),
    tailS: round(s(exitedAt - lastCompleted)),
    emulatorJobsS: round(s(emulatorJobsMs)),
    ownOverheadS: round(s(wallMs - emulatorJobsMs)),
    renderWorkS: round(s(sum(jobs.map((job) => (job.renderedAt ?? Number.NaN) - job.createdAt)))),
    creates: jobs.length
  }
}

/** Where each seam's gap went, from the SDK run's request timeline and progress events. */
export const seamTimelines = (report: ChildReport, stats: Emulator.EmulatorStats): Array<SeamTimeline> => {
  const jobs = stats.jobs.filter((job) => report.jobIds.includes(job.id)).sort((a, b) => a.createdAt - b.createdAt)
  const at = (tag: string, segment: number) =>
    report.events.find((e) => e.tag === tag && e.segment === segment)?.at ?? Number.NaN
  return jobs.slice(0, -1).map((job, k) => {
    const next = jobs[k + 1]!
    const completedAt = job.completedAt ?? Number.NaN
    const seen = report.requests.find((r) => r.kind === "poll" && r.jobId === job.id && r.videoStatus === "completed")
    // What the last frame waited for: the whole clip, or (range-first) the header and last keyframe interval;
    // the rest of a range-first download runs after the frame, beside the next create.
    const frameAt = at("FrameExtracted", k + 1)
    const beforeFrame = report.requests.filter((r) => r.kind === "download" && r.jobId === job.id && r.end <= frameAt)
    const downloadStart = Math.min(...beforeFrame.map((r) => r.start))
    const downloadEnd = Math.max(...beforeFrame.map((r) => r.end))
    const create = report.requests.find((r) => r.kind === "create" && r.jobId === next.id)
    const parts = {
      noticeS: (seen?.end ?? Number.NaN) - completedAt,
      downloadS: beforeFrame.length ? downloadEnd - downloadStart : Number.NaN,
      extractS: beforeFrame.length ? frameAt - downloadEnd : Number.NaN,
      uploadS: create ? next.createdAt - create.start : Number.NaN
    }
    const gap = next.createdAt - completedAt
    return {
      seam: k + 1,
      gapS: round(s(gap)),
      noticeS: round(s(parts.noticeS)),
      downloadS: round(s(parts.downloadS)),
      extractS: round(s(parts.extractS)),
      uploadS: round(s(parts.uploadS)),
      otherS: round(s(gap - sum(Object.values(parts))))
    }
  })
}

export interface RunOptions {
  /** Keep the output directories (default: removed after the run). */
  readonly keepOutput?: boolean
}

const emulatorOptionsFor = (scenario: Scenario): Emulator.EmulatorOptions => ({
  apiKey: "sk-bench",
  render: {
    fixedSeconds: scenario.simulatedSeconds,
    secondsPerVideoSecond: 0,
    ...(scenario.videoBitrate ? { videoBitrate: scenario.videoBitrate } : {})
  },
  // Independent mode: every segment renders at once, as the request's maxConcurrency allows.
  maxConcurrentRenders: Math.max(2, scenario.maxConcurrency ?? 1),
  maxConcurrentJobsPerKey: Math.max(2, scenario.maxConcurrency ?? 1),
  ...(scenario.bytesPerSecond ? { faults: { slowDownload: { bytesPerSecond: scenario.bytesPerSecond } } } : {})
})

/** Runs one scenario once: each runner in turn against one emulator. */
export const runScenario = async (
  scenario: Scenario,
  options: RunOptions = {}
): Promise<Partial<Record<Runner, RunnerMetrics>>> => {
  const emulator = await startEmulator(emulatorOptionsFor(scenario))
  const dirs: Array<string> = []
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), "longsora-bench-"))
    dirs.push(dir)
    return dir
  }
  const clipSeconds = scenario.clipSeconds ?? 4
  const size = "1280x720"
  const out: Partial<Record<Runner, RunnerMetrics>> = {}
  try {
    for (const runner of scenario.runners ?? (["loop", "cli", "sdk"] as const)) {
      if (runner === "loop") {
        const loop = await runLoop({
          ...emulator,
          segments: scenario.segments,
          seconds: clipSeconds,
          size,
          outputDir: fresh()
        })
        out.loop = common(scenario, "loop", loop.spawnedAt, loop.exitedAt, loop.jobIds, (await emulator.stats()).jobs)
      } else if (runner === "cli") {
        const cli = await runCli(
          {
            durations: Array.from({ length: scenario.segments }, () => clipSeconds),
            size,
            outputDir: fresh(),
            mode: scenario.mode,
            maxConcurrency: scenario.maxConcurrency,
            seam: scenario.seam,
            emulator
          },
          process.env
        )
        out.cli = common(scenario, "cli", cli.spawnedAt, cli.exitedAt, cli.jobIds, (await emulator.stats()).jobs)
      } else {
        const spawnedAt = Date.now()
        const report = await runSdk(scenario, emulator, fresh(), clipSeconds)
        const exitedAt = Date.now()
        const stats = await emulator.stats()
        out.sdk = {
          ...common(scenario, "sdk", spawnedAt, exitedAt, report.jobIds, stats.jobs),
          detail: analyze(scenario, report, stats),
          seams: scenario.mode === "chained" ? seamTimelines(report, stats) : undefined
        }
      }
    }
    return out
  } finally {
    await emulator.close()
    if (!options.keepOutput) for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}

const runSdk = async (
  scenario: Scenario,
  emulator: { readonly baseURL: string; readonly apiKey: string },
  outputDir: string,
  clipSeconds: number
): Promise<ChildReport> => {
  const config: ChildConfig = {
    baseURL: emulator.baseURL,
    apiKey: emulator.apiKey,
    segments: scenario.segments,
    clipSeconds,
    mode: scenario.mode,
    maxConcurrency: scenario.maxConcurrency,
    seam: scenario.seam ?? "default",
    outputDir
  }
  const side = fork(here("./LongSoraChild.ts"), [JSON.stringify(config)], {
    execArgv: nodeArgs,
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const report = await once(
    side,
    (m) => (typeof m === "object" && m !== null && "t0" in m ? (m as ChildReport) : undefined),
    "LongSora"
  )
  await new Promise<void>((resolve) => (side.exitCode !== null ? resolve() : side.once("exit", () => resolve())))
  if (report.error !== undefined) throw new Error(`${scenario.name}: the SDK run failed: ${report.error}`)
  return report
}
