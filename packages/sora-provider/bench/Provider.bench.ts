/**
 * Completion-detection latency (emulator's job `completedAt` → the provider seeing `completed`)
 * and requests per segment, for the default polling and for polling told the expected render
 * time. Runs against an in-process emulator; writes bench/results.json. Not run in CI.
 *
 *   pnpm --filter @longsora/sora-provider bench
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Progress, SegmentGenerator } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import type { PollingOptions } from "@longsora/provider-kit/Polling"
import { Effect, Redacted } from "effect"
import * as SoraSegmentGenerator from "../src/SoraSegmentGenerator.ts"

const SEGMENTS = 3
const render = { fixedSeconds: 2, secondsPerVideoSecond: 0.5 }

const scenarios: ReadonlyArray<{ name: string; polling: Partial<PollingOptions> }> = [
  { name: "default polling (expects Sora-like 44 s renders)", polling: {} },
  {
    name: "expected render time told (fixed 2 s + 0.5 s per video second)",
    polling: { expectedRenderMs: (seconds) => (render.fixedSeconds + render.secondsPerVideoSecond * seconds) * 1000 }
  }
]

const runScenario = async (polling: Partial<PollingOptions>) => {
  const emu = await Emulator.start({ apiKey: "sk-bench", render })
  const dir = mkdtempSync(join(tmpdir(), "sora-bench-"))
  const seen = new Map<string, number>()
  const reporter = Progress.callbackReporter((event) => {
    if (event._tag === "SegmentProgress" && event.status === "completed" && !seen.has(event.jobId)) {
      seen.set(event.jobId, Date.now())
    }
  })
  const layer = SoraSegmentGenerator.layer({ apiKey: Redacted.make("sk-bench"), baseURL: emu.baseURL, polling })
  const program = Effect.gen(function* () {
    const generator = yield* SegmentGenerator.SegmentGenerator
    for (let segment = 1; segment <= SEGMENTS; segment++) {
      const job = yield* generator.submit({
        segment,
        prompt: `Benchmark segment ${segment}: waves roll onto a pebble beach`,
        model: "sora-2",
        seconds: 4,
        size: "1280x720"
      })
      yield* generator.complete(job, join(dir, `segment_${segment}.mp4`))
    }
  }).pipe(Effect.provide(layer), Effect.provideService(Progress.ProgressReporter, reporter))
  try {
    await Effect.runPromise(program)
    const stats = emu.stats()
    const latencies = stats.jobs.map((job) => (seen.get(job.id) ?? Number.NaN) - (job.completedAt ?? Number.NaN))
    return {
      segments: SEGMENTS,
      creates: stats.creates,
      detectionLatencyMs: latencies,
      meanLatencyMs: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      maxLatencyMs: Math.max(...latencies),
      requestsPerSegment: stats.requests / SEGMENTS,
      requestsByRoute: stats.requestsByRoute,
      renderMs: stats.jobs.map((job) => (job.completedAt ?? Number.NaN) - job.createdAt)
    }
  } finally {
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = []
for (const scenario of scenarios) {
  const result = await runScenario(scenario.polling)
  console.log(scenario.name, JSON.stringify(result))
  results.push({ scenario: scenario.name, ...result })
}
writeFileSync(
  new URL("./results.json", import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, render, results }, null, 2)}\n`
)
