/**
 * Never paying twice, end to end: real `longsora` processes against an emulator the test owns, every
 * create counted. A failed segment is the only one created again; two runs in one directory cannot
 * both create; a lost create is never matched to another run's job; a server that forgot a job gets
 * one new create, reported; and across every fault and kill point, creates == segments.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-resume-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

type Event = { readonly _tag: string; readonly [key: string]: unknown }

const events = (stdout: string): Array<Event> =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event)

const isEvent =
  (tag: string, fields: Record<string, unknown> = {}) =>
  (line: string) => {
    if (!line.startsWith("{")) return false
    const event = JSON.parse(line) as Event
    return event._tag === tag && Object.entries(fields).every(([key, value]) => event[key] === value)
  }

/** An emulator of its own per test, slow enough to be caught mid-render. */
const emulator = (render = { secondsPerVideoSecond: 0.2, fixedSeconds: 0.4 }) => Emulator.start({ render })

const generate = (emu: Emulator.RunningEmulator, output: string, extra: ReadonlyArray<string> = []) =>
  CliProcess.generateTwoSegments(emu, output, join(dir, "state"), extra)

const until = async (condition: () => boolean, timeoutMs = 60_000) => {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe("resume and billing, end to end", { timeout: 120_000 }, () => {
  it("a failed segment 2 (moderation): the rerun creates only segment 2 and says what it costs", async () => {
    const emu = await emulator()
    const output = join(dir, "moderated")
    try {
      const first = generate(emu, output)
      await CliProcess.waitForLine(first, isEvent("SegmentQueued", { segment: 1 }))
      // The next create is segment 2's.
      emu.setFaults({ moderation: { count: 1 } })
      const failed = await first.finished
      expect(failed.code).toBe(1)
      expect(failed.stderr).toMatch(/written by the planner: ".+"/)
      expect(failed.stderr).toContain(join(output, "plan.json"))
      expect(emu.stats().creates).toBe(2)
      // Every rerun used to poll the same failed job; now segment 2 alone is created again.
      const rerun = await generate(emu, output).finished
      expect(rerun.code).toBe(0)
      expect(emu.stats().creates).toBe(3)
      const recreated = events(rerun.stdout).filter((e) => e._tag === "SegmentRecreated")
      expect(recreated).toMatchObject([{ segment: 2, reason: "failed", seconds: 4 }])
      const result = events(rerun.stdout).find((e) => e._tag === "Result")!
      expect(result.replacedJobs).toMatchObject([{ segment: 2, reason: "failed", seconds: 4 }])
      expect(result.secondsBilled).toBe(12)
    } finally {
      await emu.close()
    }
  })

  it("the same command twice at once: the second is refused naming the first's pid; one create per segment", async () => {
    const emu = await emulator()
    const output = join(dir, "twice")
    try {
      const first = generate(emu, output)
      await CliProcess.waitForLine(first, isEvent("SegmentQueued", { segment: 1 }))
      const second = await generate(emu, output).finished
      expect(second.code).toBe(2)
      expect(second.stderr).toContain(`pid ${first.child.pid}`)
      expect((await first.finished).code).toBe(0)
      expect(emu.stats().creates).toBe(2)
    } finally {
      await emu.close()
    }
  })

  it("offline, the same command twice at once: the second is refused before it starts an emulator there", async () => {
    const output = join(dir, "offline-twice")
    const args = [
      "generate",
      "A keeper climbs the stairs.",
      "--seconds",
      "24",
      "--offline",
      "--json",
      "--output",
      output
    ]
    const env = CliProcess.baseEnv({ LONGSORA_STATE_DIR: join(dir, "state") })
    const first = CliProcess.start(args, { env })
    await CliProcess.waitForLine(first, isEvent("SegmentQueued", { segment: 1 }))
    const second = await CliProcess.run(args, { env })
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`pid ${first.child.pid}`)
    // Refused by the run's lock, not by the emulator's: the second never started one on the first's jobs.
    expect(second.stderr).not.toMatch(/emulator data directory/)
    expect((await first.finished).code).toBe(0)
    expect((await Emulator.readDataDir(join(output, ".longsora", "emulator"))).creates).toBe(3)
  })

  it("offline, a request refused by validation leaves no output directory", async () => {
    const output = join(dir, "offline-refused")
    const refused = await CliProcess.run(
      ["generate", "A keeper climbs the stairs.", "--seconds", "7", "--offline", "--output", output],
      { env: CliProcess.baseEnv({ LONGSORA_STATE_DIR: join(dir, "state") }) }
    )
    expect(refused.code).toBe(2)
    expect(existsSync(output)).toBe(false)
  })

  it("a lost create is never matched to another run's job with the same prompt", async () => {
    const emu = await emulator({ secondsPerVideoSecond: 0.05, fixedSeconds: 0.2 })
    // A server that takes the create and never answers: run A's create is lost.
    const blackHole: Server = createServer(() => {})
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve))
    const port = (blackHole.address() as { port: number }).port
    const outA = join(dir, "lost-a")
    const outB = join(dir, "lost-b")
    try {
      const a = CliProcess.start(
        [
          "generate",
          "A red kite over the dunes.",
          "--durations",
          "4",
          "--base-url",
          `http://127.0.0.1:${port}/v1`,
          "--output",
          outA,
          "--json",
          "--yes"
        ],
        { env: CliProcess.baseEnv({ OPENAI_API_KEY: "sk-a", LONGSORA_STATE_DIR: join(dir, "state") }) }
      )
      const manifest = join(outA, ".longsora", "manifest.json")
      await until(() => existsSync(manifest) && readFileSync(manifest, "utf8").includes('"submitting"'))
      a.child.kill("SIGKILL")
      await a.finished
      // Run B: the same prompt, another reference, another directory, a real job.
      const reference = join(dir, "b-reference.png")
      writeFileSync(reference, await solidPng())
      const b = await CliProcess.run(
        [
          "generate",
          "A red kite over the dunes.",
          "--durations",
          "4",
          "--input-reference",
          reference,
          "--base-url",
          emu.baseURL,
          "--output",
          outB,
          "--json"
        ],
        { env: CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey, LONGSORA_STATE_DIR: join(dir, "state") }) }
      )
      expect(b.code).toBe(0)
      // Run A again, now against the server that has B's job: it must make its own.
      const rerunA = await CliProcess.run(
        [
          "generate",
          "A red kite over the dunes.",
          "--durations",
          "4",
          "--base-url",
          emu.baseURL,
          "--output",
          outA,
          "--json"
        ],
        { env: CliProcess.baseEnv({ OPENAI_API_KEY: emu.apiKey, LONGSORA_STATE_DIR: join(dir, "state") }) }
      )
      expect(rerunA.code).toBe(0)
      expect(emu.stats().creates).toBe(2)
      const clipA = readFileSync(join(outA, "segments", "segment_01.mp4"))
      const clipB = readFileSync(join(outB, "segments", "segment_01.mp4"))
      expect(clipA.equals(clipB)).toBe(false)
    } finally {
      blackHole.close()
      await emu.close()
    }
  })

  it("a server that forgot a job (restarted): the rerun creates that segment once more and reports it", async () => {
    const render = { secondsPerVideoSecond: 0.4, fixedSeconds: 0.5 }
    const emu = await emulator(render)
    const output = join(dir, "forgotten")
    let restarted: Emulator.RunningEmulator | undefined
    try {
      const first = generate(emu, output)
      await CliProcess.waitForLine(first, isEvent("SegmentQueued", { segment: 2 }))
      first.child.kill("SIGKILL")
      await first.finished
      const createsBefore = emu.stats().creates
      await emu.close()
      // The same address, no memory of the jobs.
      restarted = await Emulator.start({ port: emu.port, render })
      const rerun = await generate(restarted, output).finished
      expect(rerun.code).toBe(0)
      expect(createsBefore + restarted.stats().creates).toBe(3)
      const notice = events(rerun.stdout).find((e) => e._tag === "SegmentRecreated")
      expect(notice).toMatchObject({ segment: 2, reason: "gone", seconds: 4 })
      expect(existsSync(join(output, "output.mp4"))).toBe(true)
    } finally {
      await restarted?.close()
    }
  })
})

/** A small PNG of the default size, made with ffmpeg. */
const solidPng = async (): Promise<Buffer> => {
  const { execFileSync } = await import("node:child_process")
  return execFileSync("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "color=c=orange:s=1280x720",
    "-frames:v",
    "1",
    "-f",
    "image2pipe",
    "-c:v",
    "png",
    "-"
  ])
}
