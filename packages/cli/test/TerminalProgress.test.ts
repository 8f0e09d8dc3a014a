/**
 * The live progress block, seen the way a person sees it: the CLI runs in a real pseudo-terminal
 * (a tmux pane) and the test reads the rendered screen, not the byte stream.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliProcess from "./CliProcess.ts"

const session = `longsora-test-${process.pid}`
let dir: string

const tmux = (...args: Array<string>) => execFileSync("tmux", args, { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", session)

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-cli-tty-"))
})

afterAll(() => {
  try {
    tmux("kill-session", "-t", session)
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true })
})

const waitForScreen = async (predicate: (text: string) => boolean, timeoutMs: number) => {
  const started = Date.now()
  const seen: Array<string> = []
  while (Date.now() - started < timeoutMs) {
    const text = screen()
    seen.push(text)
    if (predicate(text)) return { text, seen }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`screen never matched; last screen:\n${seen.at(-1)}`)
}

describe("terminal progress", { timeout: 240_000 }, () => {
  it("redraws one line per segment and an overall bar in place, then prints the result", async () => {
    const output = join(dir, "out")
    const command = [
      process.execPath,
      CliProcess.bin,
      "generate",
      "'A paper boat drifts down a rain gutter.'",
      "--seconds 8 --segments 2 --offline",
      `--output ${output}`,
      // Keep the pane open after the run so the final screen can be read.
      "; echo EXIT=$?; sleep 600"
    ].join(" ")
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "-e", "NO_COLOR=1", command)

    const during = await waitForScreen((text) => /segment 1\/2 .*(queued|rendering)/.test(text), 120_000)
    expect(during.text).toMatch(/\[[#-]{30}\]\s+\d+%\s+elapsed \d\d:\d\d/)

    const done = await waitForScreen((text) => text.includes("EXIT="), 200_000)
    expect(done.text).toContain("EXIT=0")
    // Redrawn in place: each segment line appears exactly once on the final screen.
    expect(done.text.match(/segment 1\/2/g)).toHaveLength(1)
    expect(done.text.match(/segment 2\/2/g)).toHaveLength(1)
    expect(done.text).toMatch(/segment 2\/2 +4 s +done +100%/)
    expect(done.text).toMatch(/\[#{30}\] 100%/)
    expect(done.text).toContain(`output: ${output}/output.mp4`)
    // Every screen seen while it ran had at most one progress block.
    for (const text of done.seen) expect((text.match(/segment 1\/2/g) ?? []).length).toBeLessThanOrEqual(1)
  })

  it("fits a 50-column terminal: lines cut to the width, redrawn in place after a resize from 90 columns", async () => {
    const narrowSession = `${session}-narrow`
    const output = join(dir, "narrow")
    const command = [
      process.execPath,
      CliProcess.bin,
      "generate",
      "'A paper boat drifts down a rain gutter.'",
      `--seconds 8 --segments 2 --offline --output ${output}`,
      "; echo EXIT=$?; sleep 600"
    ].join(" ")
    const read = () => tmux("capture-pane", "-p", "-t", narrowSession)
    const waitFor = async (predicate: (text: string) => boolean, seen: Array<string>) => {
      const started = Date.now()
      while (Date.now() - started < 200_000) {
        const text = read()
        seen.push(text)
        if (predicate(text)) return text
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
      throw new Error(`screen never matched; last screen:\n${seen.at(-1)}`)
    }
    try {
      tmux("new-session", "-d", "-s", narrowSession, "-x", "90", "-y", "30", "-e", "NO_COLOR=1", command)
      const wide: Array<string> = []
      await waitFor((text) => /segment 1\/2 /.test(text), wide)
      tmux("resize-window", "-t", narrowSession, "-x", "50", "-y", "30")
      const narrow: Array<string> = []
      const during = await waitFor((text) => /^1\/2 /m.test(text), narrow)
      expect(during).toMatch(/^\[[#-]+\] +\d+% \d\d:\d\d /m)
      const done = await waitFor((text) => text.includes("EXIT="), narrow)
      expect(done).toContain("EXIT=0")
      // One compact block, redrawn in place: no segment line twice, no wide line left over, nothing wrapped.
      for (const text of narrow.slice(1)) {
        expect((text.match(/^1\/2 /gm) ?? []).length).toBeLessThanOrEqual(1)
        expect((text.match(/^2\/2 /gm) ?? []).length).toBeLessThanOrEqual(1)
        expect((text.match(/^\[[#-]+\]/gm) ?? []).length).toBeLessThanOrEqual(1)
      }
      expect(done).not.toMatch(/segment 1\/2/)
      expect(done).toMatch(/^2\/2 +4 s done +100% /m)
      expect(done).toMatch(/^\[#+\] 100% /m)
      // A line cut to the width ends in an ellipsis; none runs on into the next row (it would start mid-word).
      for (const row of done.split("\n")) expect(row.length).toBeLessThanOrEqual(50)
    } finally {
      tmux("kill-session", "-t", narrowSession)
    }
  })

  it("asks before spending above the threshold, and a no cancels with nothing created", async () => {
    const emu = await Emulator.start()
    const confirmSession = `${session}-confirm`
    try {
      const command = [
        process.execPath,
        CliProcess.bin,
        "generate",
        "'A paper boat drifts down a rain gutter.'",
        `--seconds 8 --segments 2 --confirm-above 0.5 --base-url ${emu.baseURL} --output ${join(dir, "confirm")}`,
        "; echo EXIT=$?; sleep 600"
      ].join(" ")
      tmux(
        "new-session",
        "-d",
        "-s",
        confirmSession,
        "-x",
        "160",
        "-y",
        "40",
        "-e",
        `OPENAI_API_KEY=${emu.apiKey}`,
        command
      )
      const read = () => tmux("capture-pane", "-p", "-t", confirmSession)
      const started = Date.now()
      while (!read().includes("Continue? [y/N]")) {
        if (Date.now() - started > 120_000) throw new Error(`no question on screen:\n${read()}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(read()).toContain("This run is estimated at $0.80. Continue? [y/N]")
      tmux("send-keys", "-t", confirmSession, "n", "Enter")
      while (!read().includes("EXIT=")) {
        if (Date.now() - started > 120_000) throw new Error(`no exit on screen:\n${read()}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(read()).toContain("Cancelled: nothing was generated or billed.")
      expect(read()).toContain("EXIT=130")
      expect(emu.stats().creates).toBe(0)
    } finally {
      tmux("kill-session", "-t", confirmSession)
      await emu.close()
    }
  })
})
