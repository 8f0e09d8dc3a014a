/**
 * Load benchmark of `longsora serve` (a child process; not a timed test) over an emulator in this
 * process, so the server's RSS is the server's alone: API latency p50/p95 under 100 concurrent
 * clients (retrieve and list while jobs run), jobs per minute, and the server's RSS sampled over 200
 * jobs. Run after a build: `node bench/LoadBench.ts [--jobs N]`. Writes bench/results/load.json.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Emulator } from "@longsora/emulator"

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "200" },
    clients: { type: "string", default: "100" },
    concurrency: { type: "string", default: "8" }
  }
})
const jobs = Number(values.jobs)
const clients = Number(values.clients)
const bin = new URL("../../cli/dist/bin.js", import.meta.url).pathname
const dataDir = mkdtempSync(join(tmpdir(), "longsora-load-bench-"))

const emulator = await Emulator.start({ models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } } })

const startServer = () =>
  new Promise<{ child: ChildProcess; baseURL: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        bin,
        "serve",
        "--base-url",
        emulator.baseURL,
        "--port",
        "0",
        "--data-dir",
        dataDir,
        "--gateway-model",
        "tiny:2,4:320x180:0.1",
        "--concurrency",
        values.concurrency,
        "--max-running-jobs",
        "100000",
        "--seconds-per-day",
        "10000000"
      ],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, OPENAI_API_KEY: emulator.apiKey } }
    )
    let output = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk
      const match = /listening on (http:\/\/\S+\/v1)/.exec(output)
      if (match) resolve({ child, baseURL: match[1]! })
    })
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)))
  })

const rssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 102.4) / 10
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

const round = (n: number) => Math.round(n * 10) / 10

const { child, baseURL } = await startServer()
const pid = child.pid!
const rss: Array<{ atS: number; completed: number; mb: number }> = []
const started = performance.now()
let completed = 0
const sampler = setInterval(
  () => rss.push({ atS: round((performance.now() - started) / 1000), completed, mb: rssMb(pid) }),
  1000
)

const create = async (i: number) => {
  const response = await fetch(`${baseURL}/videos`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: `Load test ${i}: rain on a window.`, model: "tiny", seconds: "4", segments: 2 })
  })
  if (!response.ok) throw new Error(`create ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { id: string }).id
}

try {
  const ids: Array<string> = []
  for (let i = 0; i < jobs; i += 20) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(20, jobs - i) }, (_, k) => create(i + k)))))
  }
  const submittedS = (performance.now() - started) / 1000

  // 100 clients, each polling a job and listing, for 15 s while the jobs run.
  const latencies: Array<number> = []
  const deadline = performance.now() + 15_000
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let n = 0
      while (performance.now() < deadline) {
        const url = n++ % 4 === 3 ? `${baseURL}/videos?limit=20` : `${baseURL}/videos/${ids[(c + n) % ids.length]}`
        const t = performance.now()
        const response = await fetch(url)
        await response.arrayBuffer()
        latencies.push(performance.now() - t)
      }
    })
  )
  latencies.sort((a, b) => a - b)

  let failed = 0
  while (completed + failed < ids.length) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const statuses = await Promise.all(
      ids.map(async (id) => ((await (await fetch(`${baseURL}/videos/${id}`)).json()) as { status: string }).status)
    )
    completed = statuses.filter((s) => s === "completed").length
    failed = statuses.filter((s) => s === "failed").length
  }
  const elapsedS = (performance.now() - started) / 1000
  clearInterval(sampler)
  const result = {
    node: process.version,
    jobs,
    segmentsPerJob: 2,
    clipSize: "320x180",
    concurrency: Number(values.concurrency),
    clients,
    completed,
    failed,
    submitSeconds: round(submittedS),
    jobsPerMinute: round((completed / elapsedS) * 60),
    requests: latencies.length,
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
    emulatorCreates: emulator.stats().creates,
    rssMb: {
      first: rss[0]?.mb,
      peak: Math.max(...rss.map((s) => s.mb)),
      atHalfTheJobs: rss.find((s) => s.completed >= jobs / 2)?.mb,
      last: rss[rss.length - 1]?.mb,
      samples: rss.filter((_, i) => i % 10 === 0)
    }
  }
  console.log(JSON.stringify(result, null, 2))
  mkdirSync(new URL("results", import.meta.url), { recursive: true })
  writeFileSync(new URL("results/load.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`)
} finally {
  clearInterval(sampler)
  child.kill("SIGTERM")
  await new Promise((resolve) => child.once("exit", resolve))
  rmSync(dataDir, { recursive: true, force: true })
  await emulator.close()
}
