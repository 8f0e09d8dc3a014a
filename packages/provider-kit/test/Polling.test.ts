/**
 * The polling schedule on simulated clocks: a job whose server reports progress like the emulator
 * (or like Sora: queued, then rising; in steps; stalling; late; silent), polled as
 * `SoraSegmentGenerator` does, with every poll checked against the budget of one per 2 s.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Polling from "../src/Polling.ts"

const options: Polling.PollingOptions = { ...Polling.defaultPollingOptions, expectedRenderMs: () => 60_000 }

interface SimulatedJob {
  /** Progress the server reports this long after it made the job (ms). */
  readonly progress: (elapsed: number) => number
  /** When the job completes, after it was made (ms). */
  readonly doneAt: number
}

/** The emulator: `queued` (0) for the first fifth, then whole percent of the render time, held at 99. */
const emulatorJob = (renderMs: number, lateMs = 0): SimulatedJob => ({
  progress: (elapsed) =>
    elapsed < renderMs * 0.2 ? 0 : Math.max(1, Math.min(99, Math.floor((elapsed / renderMs) * 100))),
  doneAt: renderMs + lateMs
})

/** Sora-like: queued for a while, then progress rises evenly, in `step`s. */
const queuedJob = (queueMs: number, renderMs: number, step = 1): SimulatedJob => ({
  progress: (elapsed) =>
    elapsed < queueMs ? 0 : Math.min(99, Math.floor(((elapsed - queueMs) / renderMs) * (100 / step)) * step),
  doneAt: queueMs + renderMs
})

/** Deterministic jitter in [0, 1). */
const jitter = (seed: number) => {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}

/**
 * Creates the job, then polls it on `nextDelayMs` until a poll sees it done. Requests take
 * `createMs` / about `pollMs`; the server reads the job halfway through. Returns the notice latency
 * (completion → the answer that shows it), and when each poll was sent (after the create's answer).
 */
const simulate = (job: SimulatedJob, { createMs = 40, pollMs = 10, seed = 1, polling = options } = {}) => {
  const random = jitter(seed)
  const sent = 1_765_000_000_000
  const made = sent + createMs * (0.2 + 0.6 * random())
  const answered = sent + createMs
  const done = made + job.doneAt
  const observations: Array<Polling.Observation> = [{ at: answered, progress: 0 }]
  const polls: Array<number> = []
  let now = answered
  for (let i = 0; i < 5_000; i++) {
    const delay = Polling.nextDelayMs(
      {
        submittedAt: answered,
        now,
        seconds: 4,
        observations,
        createdBetween: [sent, answered],
        polls: polls.length,
        watchingSince: answered
      },
      polling
    )
    assert.isAtLeast(delay, 0)
    assert.isAtMost(delay, polling.maxIntervalMs)
    const sentAt = now + delay
    const latency = pollMs * (0.5 + random())
    const read = sentAt + latency * (0.3 + 0.4 * random())
    now = sentAt + latency
    polls.push(sentAt - answered)
    if (read >= done) return { noticeMs: now - done, polls, lifeMs: now - answered }
    observations.push({ sentAt, at: now, progress: job.progress(read - made) })
  }
  throw new Error("the job was never noticed")
}

/** The k-th poll is sent no earlier than k × 2 s after the create answered: never above the average. */
const assertBudget = (polls: ReadonlyArray<number>) => {
  for (const [i, at] of polls.entries()) assert.isAtLeast(at, (i + 1) * 2_000 - 1e-6, `poll ${i + 1} at ${at} ms`)
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length

describe("Polling schedule", () => {
  it("notices an 8 s render within tens of milliseconds at one poll per 2 s at most", () => {
    const runs = [20, 40, 90, 150].flatMap((createMs) =>
      [1, 2, 3, 4, 5, 6].map((seed) => ({ createMs, ...simulate(emulatorJob(8_000), { createMs, seed }) }))
    )
    for (const run of runs) {
      assertBudget(run.polls)
      assert.isAtMost(run.noticeMs, 150)
      // The average over the job's life, as the benchmark counts it.
      assert.isAtLeast(run.lifeMs / run.polls.length, 2_000)
    }
    // A slow create (an upload) leaves it less sure when the render started.
    assert.isAtMost(mean(runs.filter((r) => r.createMs <= 90).map((r) => r.noticeMs)), 50)
  })

  it("keeps that up for renders between 4 and 12 s and for slow requests", () => {
    for (let renderMs = 4_000; renderMs <= 12_000; renderMs += 350) {
      const run = simulate(emulatorJob(renderMs), { createMs: 100, pollMs: 30, seed: renderMs })
      assertBudget(run.polls)
      assert.isAtMost(run.noticeMs, 400, `${renderMs} ms render`)
    }
    const slow = simulate(emulatorJob(8_000), { createMs: 400, pollMs: 200 })
    assertBudget(slow.polls)
    assert.isAtMost(slow.noticeMs, 1_000)
  })

  it("notices Sora-like renders (30–90 s, after a queue) within a fraction of a second", () => {
    const notices: Array<number> = []
    for (let renderMs = 30_000; renderMs <= 90_000; renderMs += 7_500) {
      for (const queueMs of [0, 4_000, 15_000]) {
        const run = simulate(queuedJob(queueMs, renderMs), { createMs: 400, pollMs: 150, seed: renderMs + queueMs })
        assertBudget(run.polls)
        // Sparse while far from the end: one poll per several seconds over the job's life.
        assert.isAtLeast(run.lifeMs / run.polls.length, 3_000)
        assert.isAtMost(run.noticeMs, 1_000)
        notices.push(run.noticeMs)
      }
    }
    assert.isAtMost(mean(notices), 400)
  })

  it("copes with progress in steps of 5 %", () => {
    for (const renderMs of [30_000, 55_000, 90_000]) {
      const run = simulate(queuedJob(2_000, renderMs, 5), { createMs: 300, pollMs: 150, seed: renderMs })
      assertBudget(run.polls)
      assert.isAtMost(run.noticeMs, 1_000)
    }
  })

  it("copes with progress that stalls, then jumps", () => {
    const stalling: SimulatedJob = {
      // 0–40 % over the first 40 s, stuck at 40 % for 20 s, then the rest in 10 s.
      progress: (elapsed) =>
        Math.min(
          99,
          Math.floor(elapsed < 40_000 ? elapsed / 1_000 : elapsed < 60_000 ? 40 : 40 + (elapsed - 60_000) / 166)
        ),
      doneAt: 70_000
    }
    // Readings 15 s apart cannot tell a stall from a slow render: late, but within one long gap.
    const run = simulate(stalling, { createMs: 300, pollMs: 150 })
    assertBudget(run.polls)
    assert.isAtMost(run.noticeMs, options.maxIntervalMs)
    const jumping: SimulatedJob = { progress: (elapsed) => (elapsed < 30_000 ? 5 : 95), doneAt: 31_000 }
    const jumped = simulate(jumping, { createMs: 300, pollMs: 150 })
    assertBudget(jumped.polls)
    assert.isAtMost(jumped.noticeMs, options.maxIntervalMs)
  })

  it("without progress, polls on the expected render time, never faster than once a second", () => {
    const silent: SimulatedJob = { progress: () => 0, doneAt: 75_000 }
    const run = simulate(silent)
    assertBudget(run.polls)
    const gaps = run.polls.slice(1).map((at, i) => at - run.polls[i]!)
    for (const gap of gaps) assert.isAtLeast(gap, options.minIntervalMs)
    assert.isAtMost(run.noticeMs, options.maxIntervalMs)
  })

  it("a status without progress (the Gemini API, fal): polls evenly at the budget's pace, so an early end is noticed within one gap", () => {
    const evenly = { ...options, progressReported: false }
    // The expectation (60 s) is a guess: the job ends far sooner, or later, and is noticed within 2 s either way.
    for (const doneAt of [7_000, 20_000, 75_000]) {
      const run = simulate({ progress: () => 0, doneAt }, { polling: evenly })
      assertBudget(run.polls)
      assert.isAtMost(run.noticeMs, evenly.averageIntervalMs + 50)
      const gaps = run.polls.slice(1).map((at, i) => at - run.polls[i]!)
      // Each gap is the wait plus the poll's own round trip (about 10 ms here).
      for (const gap of gaps) assert.isAtMost(gap, evenly.averageIntervalMs + 50)
    }
  })

  it("backs off gently from a job that runs late, within the budget", () => {
    // The emulator holds 99 % until the render is done: here 20 s past the simulated time.
    const run = simulate(emulatorJob(30_000, 20_000), { createMs: 100, pollMs: 20 })
    assertBudget(run.polls)
    const lateGaps = run.polls
      .slice(1)
      .map((at, i) => ({ at, gap: at - run.polls[i]! }))
      .filter(({ at }) => at > 31_000)
      .map(({ gap }) => gap)
    for (const gap of lateGaps) assert.isAtLeast(gap, options.minIntervalMs)
    // Gaps grow with how late the job is (a quarter of it), so the last ones are the widest.
    assert.isAbove(lateGaps[lateGaps.length - 1]!, lateGaps[0]!)
    // Noticed within a quarter of the lateness.
    assert.isAtMost(run.noticeMs, 20_000 * 0.25 + 100)
  })
})

describe("Polling", () => {
  it("polls at half the expected remaining time before progress moves", () => {
    // The first look comes early (firstPollMs) to learn the progress rate.
    const delay = Polling.nextDelayMs({ submittedAt: 0, now: 0, seconds: 8, observations: [] }, options)
    assert.strictEqual(delay, 3_000)
    const second = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 3_000,
        seconds: 8,
        observations: [
          { at: 0, progress: 0 },
          { at: 3_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(second, 15_000) // 28.5 s, capped to maxIntervalMs
    const later = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 50_000,
        seconds: 8,
        observations: [
          { at: 3_000, progress: 0 },
          { at: 50_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(later, 5_000)
  })

  it("bounds the end from whole-percent readings, tighter with the create as the start", () => {
    // 1 % per 100 ms from t = 0: the end is at 10 000.
    const observations = [
      { sentAt: 3_140, at: 3_160, progress: 31 },
      { sentAt: 6_720, at: 6_740, progress: 67 }
    ]
    const state = { submittedAt: 0, now: 6_740, seconds: 8, observations }
    const free = Polling.estimateEnd(state, options)!
    assert.isAtMost(free.earliest, 10_000)
    assert.isAtLeast(free.latest, 10_000)
    assert.isBelow(free.latest - free.earliest, 500)
    const anchored = Polling.estimateEnd({ ...state, createdBetween: [-20, 10] }, options)!
    assert.isAtMost(anchored.earliest, 10_000)
    assert.isAtLeast(anchored.latest, 10_000)
    assert.isBelow(anchored.latest - anchored.earliest, free.latest - free.earliest)
    assert.isBelow(anchored.latest - anchored.earliest, 250)
  })

  it("drops the create as the start when the job queued first, and falls back when no line fits", () => {
    // Queued for 5 s, then 1 % per 100 ms: the end is at 15 000.
    const queued = {
      submittedAt: 0,
      now: 12_320,
      seconds: 8,
      createdBetween: [0, 20] as const,
      observations: [
        { sentAt: 8_100, at: 8_120, progress: 31 },
        { sentAt: 12_300, at: 12_320, progress: 73 }
      ]
    }
    const end = Polling.estimateEnd(queued, options)!
    assert.isAtMost(end.earliest, 15_000)
    assert.isAtLeast(end.latest, 15_000)
    // Progress going backwards fits no line: one estimate from the plain rate, still finite.
    const backwards = {
      submittedAt: 0,
      now: 12_000,
      seconds: 8,
      observations: [
        { at: 8_000, progress: 60 },
        { at: 10_000, progress: 40 },
        { at: 12_000, progress: 50 }
      ]
    }
    const fallback = Polling.estimateEnd(backwards, options)!
    assert.isTrue(Number.isFinite(fallback.earliest) && Number.isFinite(fallback.latest))
    assert.isAbove(Polling.nextDelayMs(backwards, options), 0)
  })

  it("reads the step of coarse progress from the readings", () => {
    const at = (progress: number) => ({ at: progress * 100, progress })
    assert.strictEqual(Polling.granularity([at(10), at(25), at(40)]), 5)
    assert.strictEqual(Polling.granularity([at(50), at(80)]), 10)
    assert.strictEqual(Polling.granularity([at(12), at(16)]), 1) // two even readings are common
    assert.strictEqual(Polling.granularity([at(37), at(74)]), 1) // 37 is no step of 100
    assert.strictEqual(Polling.granularity([at(37), at(68), at(99)]), 1)
  })

  it("near the end, spreads the polls the budget allows over the window where the end may fall", () => {
    // 1 % per 100 ms from t = 0, end at 10 000; readings at 31 % and 71 %.
    const state: Polling.PollState = {
      submittedAt: 0,
      now: 7_120,
      seconds: 8,
      createdBetween: [-20, 10],
      watchingSince: 10,
      polls: 2,
      observations: [
        { at: 10, progress: 0 },
        { sentAt: 3_140, at: 3_160, progress: 31 },
        { sentAt: 7_100, at: 7_120, progress: 71 }
      ]
    }
    const end = Polling.estimateEnd(state, options)!
    const next = state.now + Polling.nextDelayMs(state, options)
    // Straight to the window, not halfway there: inside it, never past its end.
    assert.isAbove(next, end.earliest)
    assert.isAtMost(next, end.latest + options.endMarginMs)
    // Not done at that poll: the next one follows quickly, the last one at the window's end.
    const after: Polling.PollState = {
      ...state,
      now: next + 20,
      polls: 3,
      observations: [...state.observations, { sentAt: next, at: next + 20, progress: 99 }]
    }
    const quick = Polling.nextDelayMs(after, options)
    assert.isBelow(quick, options.minIntervalMs)
    assert.isAtMost(after.now + quick, Polling.estimateEnd(after, options)!.latest + options.endMarginMs + 1e-6)
  })

  it("never lets a poll come sooner than the budget allows", () => {
    // Readings say the end is now, but this is the third poll 2.5 s after the create: wait for 6 s.
    const state: Polling.PollState = {
      submittedAt: 0,
      now: 2_500,
      seconds: 4,
      watchingSince: 0,
      polls: 2,
      observations: [
        { at: 1_000, progress: 40 },
        { at: 2_500, progress: 99 }
      ]
    }
    assert.strictEqual(Polling.nextDelayMs(state, options), 3_500)
    assert.strictEqual(Polling.budgetAllowsAt(state, options), 6_000)
  })

  it("backs off when late before progress moves", () => {
    const late = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 100_000,
        seconds: 8,
        observations: [
          { at: 3_000, progress: 0 },
          { at: 100_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(late, 10_000) // 40 s late → wait a quarter of that
  })

  it("honours retry-after", () => {
    const delay = Polling.nextDelayMs(
      { submittedAt: 0, now: 0, seconds: 8, observations: [], retryAfterMs: 20_000 },
      options
    )
    assert.strictEqual(delay, 20_000)
    // Also in the burst at the end.
    const nearEnd: Polling.PollState = {
      submittedAt: 0,
      now: 9_990,
      seconds: 8,
      watchingSince: 0,
      polls: 3,
      createdBetween: [0, 10],
      observations: [
        { sentAt: 3_000, at: 3_010, progress: 30 },
        { sentAt: 9_980, at: 9_990, progress: 99 }
      ],
      retryAfterMs: 1_500
    }
    assert.strictEqual(Polling.nextDelayMs(nearEnd, options), 1_500)
  })
})
