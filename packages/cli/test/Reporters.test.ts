/** The live block's redraw, byte for byte: cut to the terminal, and after a resize, moved over what the terminal re-wrapped. */
import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import * as Reporters from "../src/Reporters.ts"

const fakeTerminal = (initialColumns: number) => {
  let columns = initialColumns
  const written: Array<string> = []
  const listeners = new Set<() => void>()
  const sink: Reporters.Sink = {
    write: (text) => written.push(text),
    columns: () => columns,
    onResize: (f) => {
      listeners.add(f)
      return () => listeners.delete(f)
    }
  }
  const resize = (to: number) => {
    columns = to
    for (const f of listeners) f()
  }
  return { sink, written, resize, listeners }
}

describe("Reporters.terminal", () => {
  it("cuts every line below the width, redraws on resize over the rows the old block now takes", async () => {
    const terminal = fakeTerminal(120)
    await Effect.runPromise(
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const reporter = yield* Reporters.terminal(terminal.sink, () => 0).pipe(Scope.provide(scope))
        yield* reporter.emit({ _tag: "Started", durations: [8, 4], size: "1280x720", estimatedCostUsd: 1.2 })
        const wide = terminal.written.at(-1)!
        const wideLines = wide.split("\n").filter((l) => l !== "")
        expect(wideLines).toHaveLength(3)
        expect(wideLines[0]).toContain("segment 1/2")

        // 120 → 50 columns: each 60–75 character line of the old block now takes two rows.
        terminal.resize(50)
        const narrow = terminal.written.at(-1)!
        expect(narrow.startsWith("\x1b[6F\x1b[J")).toBe(true)
        const narrowLines = narrow
          .slice("\x1b[6F\x1b[J".length)
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => l.replace("\x1b[2K", ""))
        expect(narrowLines).toHaveLength(3)
        for (const line of narrowLines) expect([...line].length).toBeLessThanOrEqual(49)
        expect(narrowLines[0]).toMatch(/^1\/2 +8 s waiting/)

        // At the same width the next redraw moves up exactly one row per line.
        terminal.resize(50)
        expect(terminal.written.at(-1)!.startsWith("\x1b[3F\x1b[J")).toBe(true)
        yield* Scope.close(scope, Exit.void)
        expect(terminal.listeners.size).toBe(0)
      })
    )
  })
})
