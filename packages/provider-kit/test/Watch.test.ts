import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Polling from "../src/Polling.ts"
import * as Watch from "../src/Watch.ts"

const job = { segment: 1, id: "video_1", seconds: 4 }

/** A job that completes `renderMs` after `start`; each look says so, with the server's hint when `hints`. */
const fakeJob = (renderMs: number, hints: boolean) => {
  const start = Date.now()
  const looks: Array<number> = []
  const look = () =>
    Effect.sync((): Watch.Look<string> => {
      const now = Date.now()
      looks.push(now - start)
      const remaining = start + renderMs - now
      return remaining <= 0
        ? { status: "completed", progress: 100, done: "clip" }
        : {
            status: "in_progress",
            progress: Math.floor((100 * (now - start)) / renderMs),
            ...(hints ? { pollAfterMs: remaining } : {})
          }
    })
  return { start, looks, look }
}

const started = (at: number) => ({ at, progress: 0, createdAt: at })
const timedOut = () => "timeout" as const

describe("Watch", () => {
  it.live("follows the server's poll hint: a 300 ms render is noticed within ~100 ms in a few looks", () =>
    Effect.gen(function* () {
      const fake = fakeJob(300, true)
      const memory = Watch.memory()
      const done = yield* Watch.watch({
        job,
        polling: Polling.defaultPollingOptions,
        started: started(fake.start),
        memory,
        look: () => fake.look(),
        timedOut
      })
      assert.strictEqual(done, "clip")
      const last = fake.looks[fake.looks.length - 1]!
      assert.isBelow(last - 300, 150, `noticed ${last - 300} ms late (looks at ${fake.looks.join(", ")})`)
      assert.isAtMost(fake.looks.length, 4)
      assert.isTrue(memory.hints)
      assert.isAbove(memory.renderMs.get(4)!, 250)
    })
  )

  it.live("without hints, a render this provider has shown to be short gets a budget scaled to it", () =>
    Effect.gen(function* () {
      const memory = Watch.memory()
      memory.hints = false
      memory.renderMs.set(4, 400)
      const fake = fakeJob(400, false)
      yield* Watch.watch({
        job,
        polling: Polling.defaultPollingOptions,
        started: started(fake.start),
        memory,
        look: () => fake.look(),
        timedOut
      })
      const last = fake.looks[fake.looks.length - 1]!
      assert.isBelow(last - 400, 200, `noticed ${last - 400} ms late (looks at ${fake.looks.join(", ")})`)
    })
  )

  it("scaledTo keeps long renders at the full budget and shrinks it for short ones", () => {
    const options = Polling.defaultPollingOptions
    assert.strictEqual(Polling.scaledTo(options, 60_000).averageIntervalMs, 2_000)
    assert.strictEqual(Polling.scaledTo(options, 60_000).minIntervalMs, 1_000)
    assert.strictEqual(Polling.scaledTo(options, 8_000).averageIntervalMs, 800)
    assert.strictEqual(Polling.scaledTo(options, 300).averageIntervalMs, options.floorMs)
    assert.strictEqual(Polling.hintedDelayMs(0, options), options.floorMs)
    assert.strictEqual(Polling.hintedDelayMs(10 * 60_000, options), options.maxIntervalMs)
  })
})
