/**
 * Every fault × every kill point: a real `longsora` process is SIGKILLed at one point of a 2-segment
 * run while the emulator injects one fault, then the same command runs again. Whatever happened,
 * the video is finished and the emulator counted exactly one create per segment, plus the ones the
 * rerun reported as recreated.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator, type Faults } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-fault-matrix-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const faults: Record<string, Faults.Faults> = {
  none: {},
  "429 storm": { rateLimit: { count: 3, retryAfterMs: 200 } },
  "5xx burst": { serverErrors: { count: 3, status: 503 } },
  "lost create answer": { loseCreateResponse: { count: 2 } },
  "cut download": { dropDownload: { count: 2, afterBytes: 4096 } }
}

type Event = { readonly _tag: string; readonly segment?: number; readonly status?: string }

const parse = (line: string): Event | undefined => {
  if (!line.startsWith("{")) return undefined
  return JSON.parse(line) as Event
}

/** When to kill the first run: each names the step of segment 2 (or the join) in progress. */
const killPoints: Record<string, (emu: Emulator.RunningEmulator, lines: ReadonlyArray<string>) => boolean> = {
  // Segment 2's job exists on the server; its create's answer may not have arrived.
  "during a create": (emu) => emu.stats().creates >= 2,
  "during a render": (_emu, lines) =>
    lines.some((line) => parse(line)?._tag === "SegmentQueued" && parse(line)?.segment === 2),
  "during a download": (_emu, lines) =>
    lines.some((line) => {
      const event = parse(line)
      return event?._tag === "SegmentProgress" && event.segment === 2 && event.status === "completed"
    }),
  "during the last-frame extraction": (_emu, lines) =>
    lines.some((line) => parse(line)?._tag === "SegmentCompleted" && parse(line)?.segment === 1),
  "during the join": (_emu, lines) =>
    lines.some((line) => parse(line)?._tag === "SegmentCompleted" && parse(line)?.segment === 2)
}

const cases = Object.keys(faults).flatMap((fault) => Object.keys(killPoints).map((point) => [fault, point] as const))

const run = (emu: Emulator.RunningEmulator, output: string) =>
  CliProcess.generateTwoSegments(emu, output, join(dir, "state"))

describe.concurrent("fault matrix: SIGKILL at every point under every fault, then rerun", { timeout: 180_000 }, () => {
  it.each(cases)("%s, killed %s: creates == segments", async (fault, point) => {
    const emu = await Emulator.start({
      faults: faults[fault]!,
      render: { secondsPerVideoSecond: 0.1, fixedSeconds: 0.3 }
    })
    const output = join(dir, `${fault}-${point}`.replaceAll(" ", "_"))
    try {
      const first = run(emu, output)
      const killAt = killPoints[point]!
      while (first.child.exitCode === null && !killAt(emu, first.stdoutLines)) {
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      first.child.kill("SIGKILL")
      await first.finished
      emu.setFaults({})
      const rerun = await run(emu, output).finished
      expect(rerun.code, rerun.stderr).toBe(0)
      const recreated = rerun.stdout.split("\n").filter((line) => parse(line)?._tag === "SegmentRecreated")
      expect(emu.stats().creates).toBe(2 + recreated.length)
      // Only a server that forgot a job may cost more, and this one forgets nothing.
      expect(recreated).toEqual([])
      expect(existsSync(join(output, "output.mp4"))).toBe(true)
    } finally {
      await emu.close()
    }
  })
})
