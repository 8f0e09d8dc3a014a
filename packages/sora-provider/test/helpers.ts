import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Progress, SegmentGenerator } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { Effect, type Layer, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as SoraSegmentGenerator from "../src/SoraSegmentGenerator.ts"

/** Distinctive, so a scan of logs, errors and files can prove it never leaks. */
export const KEY = "sk-longsora-TESTKEY-7c1e9a4b52d04f18"

/** One emulator (accepting only `KEY`) and one scratch directory for a test file. */
export const useEmulator = (options: Emulator.EmulatorOptions = {}) => {
  let emu: Emulator.RunningEmulator | undefined
  let dir: string | undefined
  beforeAll(async () => {
    emu = await Emulator.start({ apiKey: KEY, render: { fixedSeconds: 0.3, secondsPerVideoSecond: 0.05 }, ...options })
    dir = mkdtempSync(join(tmpdir(), "sora-provider-test-"))
  })
  afterAll(async () => {
    await emu?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  return {
    emu: () => emu!,
    dir: () => dir!
  }
}

/** Fast retries and polls for tests; production defaults are slower. */
export const generatorLayer = (
  emu: Emulator.RunningEmulator,
  options: Partial<SoraSegmentGenerator.Options> & { apiKey?: string } = {}
) =>
  SoraSegmentGenerator.layer({
    apiKey: Redacted.make(options.apiKey ?? KEY),
    baseURL: emu.baseURL,
    timeoutMs: 5_000,
    retry: { baseDelayMs: 50, maxDelayMs: 300, ...options.retry },
    polling: { expectedRenderMs: () => 1_000, ...options.polling },
    ...(options.models ? { models: options.models } : {})
  })

/** Runs `submit` then `complete`, collecting progress events. */
export const generate = (spec: SegmentGenerator.SegmentSpec, destination: string) =>
  Effect.gen(function* () {
    const generator = yield* SegmentGenerator.SegmentGenerator
    const events: Array<Progress.ProgressEvent> = []
    const run = Effect.gen(function* () {
      const job = yield* generator.submit(spec)
      const clip = yield* generator.complete(job, destination)
      return { job, clip, events }
    })
    return yield* run.pipe(
      Effect.provideService(
        Progress.ProgressReporter,
        Progress.callbackReporter((e) => events.push(e))
      )
    )
  })

export const spec = (overrides: Partial<SegmentGenerator.SegmentSpec> = {}): SegmentGenerator.SegmentSpec => ({
  segment: 1,
  prompt: `A lighthouse keeper climbs the spiral stairs at dusk ${Math.random().toString(36).slice(2)}`,
  model: "sora-2",
  seconds: 4,
  size: "1280x720",
  ...overrides
})

export const makeImage = (dir: string, name: string, size: string): string => {
  const path = join(dir, name)
  execFileSync("ffmpeg", [
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `color=c=blue:s=${size}`,
    "-frames:v",
    "1",
    path
  ])
  return path
}

export const isMp4 = (path: string) => readFileSync(path).subarray(4, 8).toString("latin1") === "ftyp"

/** Every file under `dir`, recursively. */
export const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })

export const provide = <A, E>(
  effect: Effect.Effect<A, E, SegmentGenerator.SegmentGenerator>,
  layer: Layer.Layer<SegmentGenerator.SegmentGenerator>
) => Effect.provide(effect, layer)
