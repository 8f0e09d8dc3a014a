/**
 * The server's durable state in one embedded SQLite file (`DATA_DIR/server.sqlite`): jobs (request,
 * owner, state, output directory), each job's progress events, and the API keys. A job's row is
 * written before it is run, so a killed server finds every unfinished job again on start; what each
 * segment's paid job is lives in the job's own run manifest, written by core before every create.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite"
import { Context, Effect, Layer, Option } from "effect"
import type { Job, JobUpdate, Status } from "./Job.ts"
import * as Sqlite from "./Sqlite.ts"
import { toJob, toKey } from "./StoredRows.ts"
import * as Usage from "./Usage.ts"

export interface KeyRecord {
  readonly id: string
  readonly name: string
  readonly salt: string
  readonly hash: string
  readonly createdAt: number
  /** Per-key overrides of the server's limits; null uses the server's. */
  readonly maxRunningJobs: number | null
  readonly secondsPerDay: number | null
}

export interface Limits {
  readonly maxRunningJobs: number
  readonly secondsPerDay: number
}

/** Which limit a create would break, and the numbers behind it. */
export interface LimitExceeded {
  readonly limit: "running_jobs" | "seconds_per_day"
  readonly allowed: number
  readonly used: number
}

/** Why a job was not run again for a regenerate: it is not finished (any more), or it would break its owner's limits. */
export type ReopenRefusal =
  | { readonly _tag: "NotFinished"; readonly status: Status }
  | { readonly _tag: "OverLimit"; readonly exceeded: LimitExceeded }

/** Why a failed job was not run again: it is not failed (any more), or its owner's running jobs are at the limit. */
export type RetryRefusal =
  | { readonly _tag: "NotFailed"; readonly status: Status }
  | { readonly _tag: "OverLimit"; readonly exceeded: LimitExceeded }

export interface Page {
  readonly data: ReadonlyArray<Job>
  readonly hasMore: boolean
}

export interface ListQuery {
  readonly owner: string
  readonly after?: string | undefined
  readonly limit: number
  readonly order: "asc" | "desc"
}

export interface StoredEvent {
  readonly seq: number
  readonly data: string
}

export interface Service {
  /** Inserts the job unless it would break the owner's limits (checked and inserted atomically). */
  readonly create: (job: Job, limits: Limits) => Effect.Effect<Option.Option<LimitExceeded>>
  readonly get: (id: string) => Effect.Effect<Option.Option<Job>>
  readonly list: (query: ListQuery) => Effect.Effect<Page>
  readonly update: (id: string, update: JobUpdate) => Effect.Effect<void>
  /**
   * Runs a finished job again for `seconds` more of video (a regenerate): if it is still completed or failed and
   * within the owner's limits, charged to today's seconds and set to `update`, atomically (two regenerates at once
   * run it once); else why not.
   */
  readonly reopen: (
    job: Job,
    charge: { readonly seconds: number; readonly at: number },
    limits: Limits,
    update: JobUpdate
  ) => Effect.Effect<Option.Option<ReopenRefusal>>
  /**
   * Runs a failed job again (a retry): set to `update` if it is still failed and its owner's running jobs allow
   * one more, atomically. No seconds are charged: the job's were when it was created. Else why not.
   */
  readonly retry: (job: Job, limits: Limits, update: JobUpdate) => Effect.Effect<Option.Option<RetryRefusal>>
  /** Takes back a `reopen`'s charge (what it was for could not start) and sets the job to `update`. */
  readonly refund: (job: Job, at: number, update: JobUpdate) => Effect.Effect<void>
  readonly remove: (id: string) => Effect.Effect<void>
  /** Every job not yet completed or failed, oldest first: what a starting server resumes. */
  readonly unfinished: Effect.Effect<ReadonlyArray<Job>>
  readonly appendEvent: (id: string, data: string) => Effect.Effect<number>
  readonly eventsAfter: (id: string, seq: number) => Effect.Effect<ReadonlyArray<StoredEvent>>
  readonly addKey: (key: KeyRecord) => Effect.Effect<void>
  readonly findKey: (id: string) => Effect.Effect<Option.Option<KeyRecord>>
  readonly listKeys: Effect.Effect<ReadonlyArray<KeyRecord>>
  readonly removeKey: (name: string) => Effect.Effect<boolean>
}

export class JobStore extends Context.Service<JobStore, Service>()("@longsora/server/JobStore") {}

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  progress INTEGER NOT NULL,
  seconds INTEGER NOT NULL,
  size TEXT NOT NULL,
  request TEXT NOT NULL,
  output_dir TEXT NOT NULL,
  completed_at INTEGER,
  error TEXT,
  extras TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  recreate_lost INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, n);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS charges (
  owner TEXT NOT NULL,
  job_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  seconds INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_owner ON charges (owner, at);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  salt TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  max_running_jobs INTEGER,
  seconds_per_day INTEGER
);
`

type Row = Record<string, SQLInputValue>

/** Runs `f` in one write transaction (BEGIN IMMEDIATE: other processes wait, nothing interleaves). */
const transaction = <A>(db: DatabaseSync, f: () => A): A => {
  db.exec("BEGIN IMMEDIATE")
  try {
    const result = f()
    db.exec("COMMIT")
    return result
  } catch (error) {
    db.exec("ROLLBACK")
    throw error
  }
}

/** Columns added to `jobs` after its first release: a data directory from before gets them on open. */
const addedColumns: ReadonlyArray<readonly [string, string]> = [
  ["attempt", "INTEGER NOT NULL DEFAULT 0"],
  ["recreate_lost", "INTEGER NOT NULL DEFAULT 0"]
]

const migrate = (db: DatabaseSync) => {
  const present = new Set((db.prepare("PRAGMA table_info(jobs)").all() as Array<Row>).map((column) => column.name))
  for (const [name, type] of addedColumns) {
    if (!present.has(name)) db.exec(`ALTER TABLE jobs ADD COLUMN ${name} ${type}`)
  }
}

/** The store over an open database (a file, or `:memory:` for tests). */
export const fromDatabase = (db: DatabaseSync): Service => {
  db.exec(schema)
  transaction(db, () => migrate(db))
  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>()
  const statement = (sql: string) => {
    const found = statements.get(sql)
    if (found) return found
    const prepared = db.prepare(sql)
    statements.set(sql, prepared)
    return prepared
  }
  const all = (sql: string, ...params: Array<SQLInputValue>) => statement(sql).all(...params) as Array<Row>
  const one = (sql: string, ...params: Array<SQLInputValue>) => statement(sql).get(...params) as Row | undefined
  const run = (sql: string, ...params: Array<SQLInputValue>) => statement(sql).run(...params)

  /** Whether `seconds` more at `at` would break the owner's limits: its running jobs, its seconds today (UTC). */
  const exceeded = (owner: string, seconds: number, at: number, limits: Limits): LimitExceeded | undefined => {
    const running = Number(
      one("SELECT count(*) AS c FROM jobs WHERE owner = ? AND status IN ('queued', 'in_progress')", owner)!.c
    )
    const today = Number(
      one(
        `SELECT (SELECT coalesce(sum(seconds), 0) FROM jobs WHERE owner = ? AND created_at >= ?)
          + (SELECT coalesce(sum(seconds), 0) FROM charges WHERE owner = ? AND at >= ?) AS s`,
        owner,
        Usage.startOfUtcDay(at),
        owner,
        Usage.startOfUtcDay(at)
      )!.s
    )
    return Usage.exceeded({ running, today }, seconds, limits)
  }

  /** Runs `write` in one write transaction after the limits check; the limit it would break instead, if any. */
  const withinLimits = (owner: string, seconds: number, at: number, limits: Limits, write: () => void) =>
    transaction(db, () => {
      const over = exceeded(owner, seconds, at, limits)
      if (over) return Option.some(over)
      write()
      return Option.none<LimitExceeded>()
    })

  const update = (id: string, update: JobUpdate) => {
    const columns: Array<[string, SQLInputValue]> = []
    if (update.status !== undefined) columns.push(["status", update.status])
    if (update.progress !== undefined) columns.push(["progress", update.progress])
    if (update.completedAt !== undefined) columns.push(["completed_at", update.completedAt])
    if (update.error !== undefined) {
      columns.push(["error", update.error === null ? null : JSON.stringify(update.error)])
    }
    if (update.extras !== undefined) columns.push(["extras", JSON.stringify(update.extras)])
    if (update.attempt !== undefined) columns.push(["attempt", update.attempt])
    if (update.recreateLost !== undefined) columns.push(["recreate_lost", update.recreateLost ? 1 : 0])
    if (columns.length === 0) return
    run(
      `UPDATE jobs SET ${columns.map(([name]) => `${name} = ?`).join(", ")} WHERE id = ?`,
      ...columns.map(([, value]) => value),
      id
    )
  }

  return {
    create: (job, limits) =>
      Effect.sync(() =>
        withinLimits(job.owner, job.seconds, job.createdAt, limits, () =>
          run(
            "INSERT INTO jobs (id, owner, created_at, status, progress, seconds, size, request, output_dir, completed_at, error, extras, attempt, recreate_lost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            job.id,
            job.owner,
            job.createdAt,
            job.status,
            job.progress,
            job.seconds,
            job.size,
            JSON.stringify(job.request),
            job.outputDir,
            job.completedAt,
            job.error === null ? null : JSON.stringify(job.error),
            JSON.stringify(job.extras),
            job.attempt,
            job.recreateLost ? 1 : 0
          )
        )
      ),
    get: (id) => Effect.sync(() => Option.map(Option.fromNullishOr(one("SELECT * FROM jobs WHERE id = ?", id)), toJob)),
    list: ({ owner, after, limit, order }) =>
      Effect.sync(() => {
        const cursor =
          after === undefined ? undefined : one("SELECT n FROM jobs WHERE id = ? AND owner = ?", after, owner)
        const direction = order === "asc" ? "ASC" : "DESC"
        const comparison = order === "asc" ? ">" : "<"
        const rows = cursor
          ? all(
              `SELECT * FROM jobs WHERE owner = ? AND n ${comparison} ? ORDER BY n ${direction} LIMIT ?`,
              owner,
              cursor.n as number,
              limit + 1
            )
          : all(`SELECT * FROM jobs WHERE owner = ? ORDER BY n ${direction} LIMIT ?`, owner, limit + 1)
        return { data: rows.slice(0, limit).map(toJob), hasMore: rows.length > limit }
      }),
    update: (id, changes) => Effect.sync(() => update(id, changes)),
    reopen: (job, charge, limits, changes) =>
      Effect.sync(() =>
        transaction(db, (): Option.Option<ReopenRefusal> => {
          const status =
            (one("SELECT status FROM jobs WHERE id = ?", job.id)?.status as Status | undefined) ?? job.status
          if (status !== "completed" && status !== "failed") return Option.some({ _tag: "NotFinished", status })
          const over = exceeded(job.owner, charge.seconds, charge.at, limits)
          if (over) return Option.some({ _tag: "OverLimit", exceeded: over })
          run(
            "INSERT INTO charges (owner, job_id, at, seconds) VALUES (?, ?, ?, ?)",
            job.owner,
            job.id,
            charge.at,
            charge.seconds
          )
          update(job.id, changes)
          return Option.none()
        })
      ),
    retry: (job, limits, changes) =>
      Effect.sync(() =>
        transaction(db, (): Option.Option<RetryRefusal> => {
          const status = one("SELECT status FROM jobs WHERE id = ?", job.id)?.status as Status | undefined
          if (status !== "failed") return Option.some({ _tag: "NotFailed", status: status ?? job.status })
          const over = exceeded(job.owner, 0, Math.floor(Date.now() / 1000), limits)
          if (over) return Option.some({ _tag: "OverLimit", exceeded: over })
          update(job.id, changes)
          return Option.none()
        })
      ),
    refund: (job, at, changes) =>
      Effect.sync(() =>
        transaction(db, () => {
          run("DELETE FROM charges WHERE job_id = ? AND at = ?", job.id, at)
          update(job.id, changes)
        })
      ),
    remove: (id) =>
      Effect.sync(() =>
        transaction(db, () => {
          run("DELETE FROM events WHERE job_id = ?", id)
          run("DELETE FROM jobs WHERE id = ?", id)
        })
      ),
    unfinished: Effect.sync(() =>
      all("SELECT * FROM jobs WHERE status IN ('queued', 'in_progress') ORDER BY n ASC").map(toJob)
    ),
    appendEvent: (id, data) =>
      Effect.sync(() =>
        transaction(db, () => {
          const seq = Number(one("SELECT coalesce(max(seq), 0) + 1 AS s FROM events WHERE job_id = ?", id)!.s)
          run("INSERT INTO events (job_id, seq, data) VALUES (?, ?, ?)", id, seq, data)
          return seq
        })
      ),
    eventsAfter: (id, seq) =>
      Effect.sync(() =>
        all("SELECT seq, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq", id, seq).map((row) => ({
          seq: Number(row.seq),
          data: row.data as string
        }))
      ),
    addKey: (key) =>
      Effect.sync(() => {
        run(
          "INSERT INTO api_keys (id, name, salt, hash, created_at, max_running_jobs, seconds_per_day) VALUES (?, ?, ?, ?, ?, ?, ?)",
          key.id,
          key.name,
          key.salt,
          key.hash,
          key.createdAt,
          key.maxRunningJobs,
          key.secondsPerDay
        )
      }),
    findKey: (id) =>
      Effect.sync(() => Option.map(Option.fromNullishOr(one("SELECT * FROM api_keys WHERE id = ?", id)), toKey)),
    listKeys: Effect.sync(() => all("SELECT * FROM api_keys ORDER BY created_at, name").map(toKey)),
    removeKey: (name) => Effect.sync(() => Number(run("DELETE FROM api_keys WHERE name = ?", name).changes) > 0)
  }
}

/** The store in `file`, closed with the layer. */
export const layer = (file: string): Layer.Layer<JobStore> =>
  Layer.effect(
    JobStore,
    Effect.acquireRelease(
      Effect.promise(() => Sqlite.open(file)),
      (db) => Effect.sync(() => db.close())
    ).pipe(Effect.map(fromDatabase))
  )
