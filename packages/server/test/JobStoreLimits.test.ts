/**
 * The per-key limits in both job stores (SQLite and a real PostgreSQL): a regenerate's seconds are charged to
 * the day it is made, checked with the job's status and the running jobs in one transaction, and a refund takes
 * a charge back; a retry of a failed job counts as running again and is charged nothing.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Job } from "../src/Job.ts"
import * as JobProgress from "../src/JobProgress.ts"
import { JobStore, type Limits } from "../src/JobStore.ts"
import { storeLayer } from "../src/Server.ts"
import * as PgServer from "./PgServer.ts"

let dir: string
let pg: PgServer.PgServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "longsora-store-limits-"))
  pg = await PgServer.start()
}, 60_000)

afterAll(async () => {
  await pg?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const day = 20_000 * 86_400
const limits: Limits = { maxRunningJobs: 2, secondsPerDay: 12 }

const job = (id: string, createdAt: number, seconds: number): Job => ({
  id,
  owner: "key_a",
  createdAt,
  status: "completed",
  progress: 100,
  seconds,
  size: "1280x720",
  request: { prompt: "A kite.", model: "sora-2", durations: [seconds] } as unknown as Job["request"],
  outputDir: join(dir, id),
  completedAt: createdAt + 60,
  error: null,
  extras: JobProgress.empty([seconds], 0.4),
  attempt: 0,
  recreateLost: false
})

const queued = { status: "queued" as const, progress: 0, completedAt: null, error: null }

const scenario = Effect.gen(function* () {
  const store = yield* JobStore
  // Yesterday's job, regenerated today: its 8 s counted yesterday, today's 4 s today.
  const old = job(`video_old_${Math.random()}`, day - 3600, 8)
  expect(yield* store.create(old, limits)).toEqual(Option.none())
  const today = day + 3600
  expect(yield* store.reopen(old, { seconds: 4, at: today }, limits, queued)).toEqual(Option.none())
  expect(Option.getOrThrow(yield* store.get(old.id)).status).toBe("queued")
  // Only a finished job: a second regenerate of it now is refused, and charged nothing.
  expect(yield* store.reopen(old, { seconds: 4, at: today }, { ...limits, secondsPerDay: 100 }, queued)).toEqual(
    Option.some({ _tag: "NotFinished", status: "queued" })
  )
  // 4 s charged today: a new 8 s job fits (12 of 12); then nothing more does, a regenerate included.
  const fresh: Job = { ...job(`video_new_${Math.random()}`, today + 1, 8), status: "queued" }
  expect(yield* store.create(fresh, limits)).toEqual(Option.none())
  const third = job(`video_third_${Math.random()}`, day - 7200, 4)
  expect(yield* store.create(third, { maxRunningJobs: 9, secondsPerDay: 100 })).toEqual(Option.none())
  const more = yield* store.reopen(third, { seconds: 1, at: today + 2 }, { ...limits, maxRunningJobs: 9 }, queued)
  expect(more).toEqual(
    Option.some({ _tag: "OverLimit", exceeded: { limit: "seconds_per_day", allowed: 12, used: 12 } })
  )
  // Two jobs queued: a regenerate of a third is over the running jobs first.
  expect(yield* store.reopen(third, { seconds: 1, at: today + 3 }, { ...limits, secondsPerDay: 100 }, queued)).toEqual(
    Option.some({ _tag: "OverLimit", exceeded: { limit: "running_jobs", allowed: 2, used: 2 } })
  )
  expect(Option.getOrThrow(yield* store.get(third.id)).status).toBe("completed")
  // A refund takes the charge back and restores the job: 8 s used today again, so 4 s fit.
  yield* store.refund(old, today, { status: "completed", progress: 100, completedAt: old.completedAt })
  expect(Option.getOrThrow(yield* store.get(old.id)).status).toBe("completed")
  const after = job(`video_after_${Math.random()}`, today + 4, 4)
  expect(yield* store.create(after, { ...limits, maxRunningJobs: 9 })).toEqual(Option.none())
})

/** A retry counts as a running job again and charges no seconds; only a failed job is set queued. */
const retryScenario = Effect.gen(function* () {
  const store = yield* JobStore
  const owner = `key_retry_${Math.random()}`
  const now = Math.floor(Date.now() / 1000)
  const failed: Job = { ...job(`video_failed_${Math.random()}`, now, 8), owner, status: "failed" }
  const tight = { maxRunningJobs: 1, secondsPerDay: 8 }
  expect(yield* store.create(failed, tight)).toEqual(Option.none())
  // Today's 8 s are all used, by this very job: its retry is not charged them again.
  const retried = { status: "queued" as const, error: null, completedAt: null, attempt: 1, recreateLost: true }
  expect(yield* store.retry(failed, tight, retried)).toEqual(Option.none())
  expect(Option.getOrThrow(yield* store.get(failed.id))).toMatchObject({
    status: "queued",
    attempt: 1,
    recreateLost: true
  })
  // Only a failed job: the same retry again is refused, the job untouched.
  expect(yield* store.retry(failed, tight, { ...retried, attempt: 2 })).toEqual(
    Option.some({ _tag: "NotFailed", status: "queued" })
  )
  // Failed again, with another job of the key running: over the running jobs, still failed.
  yield* store.update(failed.id, { status: "failed", recreateLost: false })
  const running: Job = { ...job(`video_running_${Math.random()}`, now, 4), owner, status: "queued" }
  expect(yield* store.create(running, { maxRunningJobs: 9, secondsPerDay: 100 })).toEqual(Option.none())
  expect(yield* store.retry(failed, tight, retried)).toEqual(
    Option.some({ _tag: "OverLimit", exceeded: { limit: "running_jobs", allowed: 1, used: 1 } })
  )
  expect(Option.getOrThrow(yield* store.get(failed.id))).toMatchObject({ status: "failed", recreateLost: false })
  // Nothing was charged by the retries: 8 + 4 s used, so 12 s allow no more and 13 s allow exactly 1.
  const next = (seconds: number, perDay: number) =>
    store.create(
      { ...job(`video_next_${Math.random()}`, now, seconds), owner },
      { maxRunningJobs: 9, secondsPerDay: perDay }
    )
  expect(yield* next(1, 12)).toEqual(Option.some({ limit: "seconds_per_day", allowed: 12, used: 12 }))
  expect(yield* next(1, 13)).toEqual(Option.none())
})

describe("job store limits", () => {
  it("SQLite: a regenerate is charged to its day, checked with the running jobs, refunded when it cannot start", async () => {
    await Effect.runPromise(scenario.pipe(Effect.provide(storeLayer(join(dir, "sqlite")))))
  })

  it("PostgreSQL: the same", async () => {
    await Effect.runPromise(scenario.pipe(Effect.provide(storeLayer(join(dir, "pg"), pg.url))))
  }, 30_000)

  it("SQLite: a retry of a failed job is checked against the running jobs only and charges no seconds", async () => {
    await Effect.runPromise(retryScenario.pipe(Effect.provide(storeLayer(join(dir, "sqlite")))))
  })

  it("PostgreSQL: a retry the same", async () => {
    await Effect.runPromise(retryScenario.pipe(Effect.provide(storeLayer(join(dir, "pg"), pg.url))))
  }, 30_000)
})
