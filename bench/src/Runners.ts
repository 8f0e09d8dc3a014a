/**
 * The three ways one scenario is run against the same emulator, each as its own process timed from
 * spawn to exit (process start included, as a user pays it): the plain loop (`PlainLoop.ts`), the
 * real `longsora` command (`node packages/cli/dist/bin.js generate …`) and the SDK (`LongSoraChild.ts`).
 * Figures common to all three come from the emulator's job stats (its clock is this machine's).
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import type { Emulator } from "@longsora/emulator"

export type Runner = "loop" | "cli" | "sdk"

const here = (file: string) => new URL(file, import.meta.url).pathname
export const cliBin = new URL("../../packages/cli/dist/bin.js", import.meta.url).pathname

export interface Spawned {
  /** `Date.now()` just before the spawn, and when the process had exited. */
  readonly spawnedAt: number
  readonly exitedAt: number
  readonly stdout: string
}

/** Runs a command to its end; rejects with its stderr when it fails. */
export const spawnTimed = (
  command: string,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv = process.env
): Promise<Spawned> =>
  new Promise((resolve, reject) => {
    const spawnedAt = Date.now()
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000)
    })
    child.on("error", reject)
    child.on("close", (code) => {
      const exitedAt = Date.now()
      if (code === 0) resolve({ spawnedAt, exitedAt, stdout })
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr}`))
    })
  })

export interface CliRun {
  readonly durations: ReadonlyArray<number>
  readonly size: string
  readonly outputDir: string
  readonly mode: "chained" | "independent"
  readonly maxConcurrency?: number | undefined
  readonly seam?: "default" | "keep" | undefined
  /** Against a running emulator; `undefined`: `--offline` (the embedded emulator). */
  readonly emulator?: { readonly baseURL: string; readonly apiKey: string } | undefined
}

/** The real command, as a user types it; its NDJSON result names the jobs. */
export const runCli = async (run: CliRun, env: NodeJS.ProcessEnv) => {
  const args = [
    cliBin,
    "generate",
    "A paper boat drifts down a rainy street at dusk",
    ...["--durations", run.durations.join(","), "--size", run.size, "--model", "sora-2"],
    ...["--output", run.outputDir, "--yes", "--json", "--mode", run.mode],
    ...(run.maxConcurrency === undefined ? [] : ["--max-concurrency", String(run.maxConcurrency)]),
    ...(run.seam === "keep" ? ["--transition", "keep"] : []),
    ...(run.emulator ? ["--base-url", run.emulator.baseURL] : ["--offline"])
  ]
  const spawned = await spawnTimed(process.execPath, args, {
    ...env,
    ...(run.emulator ? { OPENAI_API_KEY: run.emulator.apiKey } : {})
  })
  const lines = spawned.stdout.trim().split("\n")
  const result = JSON.parse(lines[lines.length - 1]!) as { _tag: string; jobIds: ReadonlyArray<string> }
  if (result._tag !== "Result") throw new Error(`longsora printed no result: ${spawned.stdout.slice(-500)}`)
  return { ...spawned, jobIds: result.jobIds }
}

export interface LoopReport {
  readonly jobIds: ReadonlyArray<string>
  readonly steps: ReadonlyArray<{ segment: number; step: string; start: number; end: number }>
}

export const runLoop = async (config: {
  readonly baseURL: string
  readonly apiKey: string
  readonly segments: number
  readonly seconds: number
  readonly size: string
  readonly outputDir: string
}) => {
  const spawned = await spawnTimed(process.execPath, [
    "--disable-warning=ExperimentalWarning",
    here("./PlainLoop.ts"),
    JSON.stringify(config)
  ])
  const report = JSON.parse(spawned.stdout.trim().split("\n").pop()!) as LoopReport
  return { ...spawned, ...report }
}

/** The emulator in its own process (`EmulatorChild.ts`), with its stats on request. */
export const startEmulator = async (options: Emulator.EmulatorOptions) => {
  const child = fork(here("./EmulatorChild.ts"), [JSON.stringify(options)], {
    execArgv: ["--disable-warning=ExperimentalWarning"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const ready = await once(
    child,
    (m) => pick<{ baseURL: string; geminiBaseURL: string; apiKey: string }>(m, "ready"),
    "emulator"
  )
  return {
    child,
    baseURL: ready.baseURL,
    geminiBaseURL: ready.geminiBaseURL,
    apiKey: ready.apiKey,
    stats: async (): Promise<Emulator.EmulatorStats> => {
      child.send("stats")
      return (await once(child, (m) => pick<{ stats: Emulator.EmulatorStats }>(m, "stats"), "stats")).stats
    },
    close: async () => {
      if (child.connected) child.send("close")
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())))
    }
  }
}

const pick = <A>(message: unknown, type: string): A | undefined =>
  typeof message === "object" && message !== null && (message as { type?: unknown }).type === type
    ? (message as A)
    : undefined

export const once = <A>(child: ChildProcess, select: (message: unknown) => A | undefined, what: string): Promise<A> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const picked = select(message)
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

/**
 * `longsora generate --offline`, as the README's demo runs it: the embedded emulator at its default
 * (fast) render settings. Its render work is read from the jobs it kept in the output directory.
 */
export const runOffline = async (segments: number, outputDir: string) => {
  const { Emulator } = await import("@longsora/emulator")
  const cli = await runCli(
    { durations: Array.from({ length: segments }, () => 4), size: "1280x720", outputDir, mode: "chained" },
    process.env
  )
  const stats = await Emulator.readDataDir(`${outputDir}/.longsora/emulator`)
  return { ...cli, jobs: stats.jobs }
}

/** Median of `runs` timed starts of `longsora ARGS` (spawn to exit), seconds. */
export const timeCommand = async (args: ReadonlyArray<string>, runs: number): Promise<Array<number>> => {
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const run = await spawnTimed(process.execPath, [cliBin, ...args])
    times.push((run.exitedAt - run.spawnedAt) / 1000)
  }
  return times
}

/**
 * `--chain keyframes` with Veo (issue 14): the keyframe images first (OpenAI Images), then every
 * segment at once, against an emulator whose every clip takes `simulatedSeconds` and which renders
 * them all at once, as a provider does. The keyframes' time is what the run's `KeyframeRendered`
 * events say; the wall time is judged against it plus one segment's render.
 */
export const runKeyframes = async (segments: number, simulatedSeconds: number, outputDir: string) => {
  const emulator = await startEmulator({
    apiKey: "sk-bench",
    render: { fixedSeconds: simulatedSeconds, secondsPerVideoSecond: 0 },
    maxConcurrentRenders: segments,
    maxConcurrentJobsPerKey: segments
  })
  try {
    const args = [
      cliBin,
      "generate",
      "A red paper boat drifts down a rain-soaked street at dusk",
      ...["--chain", "keyframes", "--model", "google:veo-3.1-generate-preview"],
      ...["--seconds", String(8 * segments), "--segments", String(segments), "--max-concurrency", String(segments)],
      ...["--output", outputDir, "--yes", "--json", "--base-url", emulator.baseURL]
    ]
    const spawned = await spawnTimed(process.execPath, args, {
      ...process.env,
      OPENAI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: emulator.geminiBaseURL
    })
    const events = spawned.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { _tag: string; ms?: number; reused?: boolean })
    const keyframesMs = events
      .filter((e) => e._tag === "KeyframeRendered" && e.reused === false)
      .reduce((sum, e) => sum + (e.ms ?? 0), 0)
    if (events.at(-1)?._tag !== "Result") throw new Error(`longsora printed no result: ${spawned.stdout.slice(-500)}`)
    const { jobs } = await emulator.stats()
    const first = Math.min(...jobs.map((job) => job.createdAt))
    const s = (ms: number) => Math.round(ms) / 1000
    return {
      wallS: s(spawned.exitedAt - spawned.spawnedAt),
      keyframesS: s(keyframesMs),
      // Where the time goes: to the first create, the emulator's renders (its own ffmpeg work on this
      // machine's cores, beside the simulated time), and from the last completion to exit.
      firstCreateS: s(first - spawned.spawnedAt),
      slowestRenderS: s(Math.max(...jobs.map((job) => (job.renderedAt ?? Number.NaN) - job.createdAt))),
      segmentsS: s(Math.max(...jobs.map((job) => job.completedAt ?? Number.NaN)) - first),
      tailS: s(spawned.exitedAt - Math.max(...jobs.map((job) => job.completedAt ?? Number.NaN)))
    }
  } finally {
    await emulator.close()
  }
}
