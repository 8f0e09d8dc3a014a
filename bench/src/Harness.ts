/**
 * One benchmark run: the emulator in one child process, the LongSora side in another (fresh, so
 * its peak RSS is its own), then the timeline and the emulator's job stats turned into metrics.
 */
import { type ChildProcess, fork } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Emulator } from "@longsora/emulator"
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

const once = <A>(child: ChildProcess, pick: (message: unknown) => A | undefined, what: string): Promise<A> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const picked = pick(message)
      if (picked === undefined) return
      cleanup()
      resolve(picked)
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`${what}: the child exited (${code}) before answering`))
    }
    const cleanup = () => {
      child.off("message", onMessage)
      child.off("exit", onExit)
    }
    child.on("message", onMessage)
    child.on("exit", onExit)
  })

const field =
  <K extends string>(key: K, type: string) =>
  (message: unknown) =>
    typeof message === "object" && message !== null && (message as { type?: unknown }).type === type
      ? ((message as Record<K, unknown>)[key] as never)
      : undefined

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

export interface RunOptions {
  /** Keep the output directory (default: removed after the run). */
  readonly keepOutput?: boolean
}

/** Runs one scenario once and returns its metrics. */
export const runScenario = async (scenario: Scenario, options: RunOptions = {}): Promise<RunMetrics> => {
  const emulatorOptions: Emulator.EmulatorOptions = {
    apiKey: "sk-bench",
    render: { fixedSeconds: scenario.simulatedSeconds, secondsPerVideoSecond: 0 },
    // Independent mode: every segment renders at once, as the request's maxConcurrency allows.
    maxConcurrentRenders: Math.max(2, scenario.maxConcurrency ?? 1)
  }
  const emulator = fork(here("./EmulatorChild.ts"), [JSON.stringify(emulatorOptions)], {
    execArgv: nodeArgs,
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const outputDir = mkdtempSync(join(tmpdir(), "longsora-bench-"))
  try {
    const ready = await once(
      emulator,
      (m) => {
        const baseURL = field("baseURL", "ready")(m) as string | undefined
        return baseURL === undefined ? undefined : { baseURL, apiKey: (m as { apiKey: string }).apiKey }
      },
      "emulator"
    )
    const config: ChildConfig = {
      baseURL: ready.baseURL,
      apiKey: ready.apiKey,
      segments: scenario.segments,
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
    if (report.error !== undefined) throw new Error(`${scenario.name}: the run failed: ${report.error}`)
    emulator.send("stats")
    const stats = await once<Emulator.EmulatorStats>(emulator, field("stats", "stats"), "emulator stats")
    return analyze(scenario, report, stats)
  } finally {
    if (emulator.connected) emulator.send("close")
    await new Promise<void>((resolve) =>
      emulator.exitCode !== null ? resolve() : emulator.once("exit", () => resolve())
    )
    if (!options.keepOutput) rmSync(outputDir, { recursive: true, force: true })
  }
}
