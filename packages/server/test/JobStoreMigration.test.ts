/**
 * A data directory written before retries existed: its `jobs` table lacks `attempt` and
 * `recreate_lost`, which the store adds on open, so its jobs read as first attempts and can be retried.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as JobProgress from "../src/JobProgress.ts"
import { JobStore } from "../src/JobStore.ts"
import { storeLayer } from "../src/Server.ts"
import * as Sqlite from "../src/Sqlite.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-store-migration-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("job store migration", () => {
  it("SQLite: jobs stored without the retry columns get them, as a first attempt that may not recreate", async () => {
    const dataDir = join(dir, "before-retries")
    mkdirSync(dataDir, { recursive: true })
    const db = await Sqlite.open(join(dataDir, "server.sqlite"))
    db.exec(`CREATE TABLE jobs (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
      created_at INTEGER NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL, seconds INTEGER NOT NULL,
      size TEXT NOT NULL, request TEXT NOT NULL, output_dir TEXT NOT NULL, completed_at INTEGER, error TEXT,
      extras TEXT NOT NULL)`)
    db.prepare(
      "INSERT INTO jobs (id, owner, created_at, status, progress, seconds, size, request, output_dir, completed_at, error, extras) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ).run(
      "video_old",
      "local",
      1,
      "failed",
      40,
      8,
      "320x180",
      JSON.stringify({ prompt: "A kite.", model: "tiny", durations: [4, 4] }),
      join(dataDir, "jobs", "video_old"),
      2,
      JSON.stringify({ code: "segment_failed", message: "Segment 2 failed." }),
      JSON.stringify(JobProgress.empty([4, 4], 0.8))
    )
    db.close()
    const job = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* JobStore
        const limits = { maxRunningJobs: 1, secondsPerDay: 100 }
        const stored = Option.getOrThrow(yield* store.get("video_old"))
        expect(yield* store.retry(stored, limits, { status: "queued", attempt: 1 })).toEqual(Option.none())
        return Option.getOrThrow(yield* store.get("video_old"))
      }).pipe(Effect.provide(storeLayer(dataDir)))
    )
    expect(job).toMatchObject({ id: "video_old", status: "queued", attempt: 1, recreateLost: false })
  })
})
