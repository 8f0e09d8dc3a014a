/**
 * The job store in PostgreSQL (`--database postgres://…`), shared by every runner of a cluster:
 * the same tables and guarantees as the embedded SQLite store, through `effect/sql`. A database
 * failure is a defect here: the runner cannot go on without its store.
 */
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { JobUpdate, Status } from "./Job.ts"
import {
  JobStore,
  type LimitExceeded,
  type Limits,
  type ReopenRefusal,
  type RetryRefusal,
  type Service
} from "./JobStore.ts"
import { type Row, toJob, toKey } from "./StoredRows.ts"
import * as Usage from "./Usage.ts"

const schema = [
  `CREATE TABLE IF NOT EXISTS longsora_jobs (
    n BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    progress INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    size TEXT NOT NULL,
    request TEXT NOT NULL,
    output_dir TEXT NOT NULL,
    completed_at BIGINT,
    error TEXT,
    extras TEXT NOT NULL
  )`,
  // Added after the table's first release; a database from before gets them too.
  "ALTER TABLE longsora_jobs ADD COLUMN IF NOT EXISTS attempt INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE longsora_jobs ADD COLUMN IF NOT EXISTS recreate_lost INTEGER NOT NULL DEFAULT 0",
  "CREATE INDEX IF NOT EXISTS longsora_jobs_owner ON longsora_jobs (owner, n)",
  "CREATE INDEX IF NOT EXISTS longsora_jobs_status ON longsora_jobs (status)",
  `CREATE TABLE IF NOT EXISTS longsora_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  )`,
  `CREATE TABLE IF NOT EXISTS longsora_charges (
    owner TEXT NOT NULL,
    job_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    seconds INTEGER NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS longsora_charges_owner ON longsora_charges (owner, at)",
  `CREATE TABLE IF NOT EXISTS longsora_api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    max_running_jobs INTEGER,
    seconds_per_day INTEGER
  )`
]

// Any fixed number: serialises schema creation across runners starting together.
const schemaLock = 7_421_016

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql
    .withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(${schemaLock})`
        for (const statement of schema) yield* sql.unsafe(statement)
      })
    )
    .pipe(Effect.orDie)
  const rows = <A>(effect: Effect.Effect<A, unknown>) => Effect.orDie(effect)

  /**
   * Whether `seconds` more at `at` would break the owner's limits. Run inside a transaction that holds the owner's
   * advisory lock, so the check and what follows are atomic across every runner.
   */
  const exceeded = (owner: string, seconds: number, at: number, limits: Limits) =>
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext(${owner}))`
      const dayStart = Usage.startOfUtcDay(at)
      const [usage] = yield* sql<Row>`SELECT
        (SELECT count(*) FROM longsora_jobs WHERE owner = ${owner} AND status IN ('queued', 'in_progress')) AS running,
        (SELECT coalesce(sum(seconds), 0) FROM longsora_jobs WHERE owner = ${owner} AND created_at >= ${dayStart})
          + (SELECT coalesce(sum(seconds), 0) FROM longsora_charges WHERE owner = ${owner} AND at >= ${dayStart})
          AS today`
      return Option.fromNullishOr(
        Usage.exceeded({ running: Number(usage!.running), today: Number(usage!.today) }, seconds, limits)
      )
    })

  const update = (id: string, update: JobUpdate) => {
    const values: Record<string, unknown> = {}
    if (update.status !== undefined) values.status = update.status
    if (update.progress !== undefined) values.progress = update.progress
    if (update.completedAt !== undefined) values.completed_at = update.completedAt
    if (update.error !== undefined) values.error = update.error === null ? null : JSON.stringify(update.error)
    if (update.extras !== undefined) values.extras = JSON.stringify(update.extras)
    if (update.attempt !== undefined) values.attempt = update.attempt
    if (update.recreateLost !== undefined) values.recreate_lost = update.recreateLost ? 1 : 0
    if (Object.keys(values).length === 0) return Effect.void
    return sql`UPDATE longsora_jobs SET ${sql.update(values)} WHERE id = ${id}`.pipe(Effect.asVoid)
  }

  /** Runs `write` in one transaction after the limits check (the owner's lock held); the limit broken instead. */
  const withinLimits = <E>(owner: string, seconds: number, at: number, limits: Limits, write: Effect.Effect<void, E>) =>
    sql
      .withTransaction(
        Effect.gen(function* () {
          const over = yield* exceeded(owner, seconds, at, limits)
          if (Option.isSome(over)) return over
          yield* write
          return Option.none<LimitExceeded>()
        })
      )
      .pipe(Effect.orDie)

  const create: Service["create"] = (job, limits) =>
    withinLimits(
      job.owner,
      job.seconds,
      job.createdAt,
      limits,
      sql`INSERT INTO longsora_jobs (id, owner, created_at, status, progress, seconds, size, request,
        output_dir, completed_at, error, extras, attempt, recreate_lost) VALUES (${job.id}, ${job.owner},
        ${job.createdAt}, ${job.status}, ${job.progress}, ${job.seconds}, ${job.size}, ${JSON.stringify(job.request)},
        ${job.outputDir}, ${job.completedAt}, ${job.error === null ? null : JSON.stringify(job.error)},
        ${JSON.stringify(job.extras)}, ${job.attempt}, ${job.recreateLost ? 1 : 0})`
    )

  const reopen: Service["reopen"] = (job, charge, limits, changes) =>
    sql
      .withTransaction(
        Effect.gen(function* () {
          // The row locked first: two regenerates of one job at once run it once.
          const [row] = yield* sql<Row>`SELECT status FROM longsora_jobs WHERE id = ${job.id} FOR UPDATE`
          const status = (row?.status as Status | undefined) ?? job.status
          if (status !== "completed" && status !== "failed") {
            return Option.some<ReopenRefusal>({ _tag: "NotFinished", status })
          }
          const over = yield* exceeded(job.owner, charge.seconds, charge.at, limits)
          if (Option.isSome(over)) return Option.some<ReopenRefusal>({ _tag: "OverLimit", exceeded: over.value })
          yield* sql`INSERT INTO longsora_charges (owner, job_id, at, seconds)
            VALUES (${job.owner}, ${job.id}, ${charge.at}, ${charge.seconds})`
          yield* update(job.id, changes)
          return Option.none<ReopenRefusal>()
        })
      )
      .pipe(Effect.orDie)

  const retry: Service["retry"] = (job, limits, changes) =>
    sql
      .withTransaction(
        Effect.gen(function* () {
          // The row locked first: two retries of one job at once run it once.
          const [row] = yield* sql<Row>`SELECT status FROM longsora_jobs WHERE id = ${job.id} FOR UPDATE`
          const status = (row?.status as Status | undefined) ?? job.status
          if (status !== "failed") return Option.some<RetryRefusal>({ _tag: "NotFailed", status })
          const over = yield* exceeded(job.owner, 0, Math.floor(Date.now() / 1000), limits)
          if (Option.isSome(over)) return Option.some<RetryRefusal>({ _tag: "OverLimit", exceeded: over.value })
          yield* update(job.id, changes)
          return Option.none<RetryRefusal>()
        })
      )
      .pipe(Effect.orDie)

  const service: Service = {
    create,
    get: (id) =>
      rows(sql<Row>`SELECT * FROM longsora_jobs WHERE id = ${id}`).pipe(
        Effect.map((found) => Option.map(Option.fromNullishOr(found[0]), toJob))
      ),
    list: ({ owner, after, limit, order }) =>
      Effect.gen(function* () {
        const cursor = after === undefined ? [] : yield* rows(sql<Row>`SELECT n FROM longsora_jobs WHERE id = ${after}`)
        const direction = sql.literal(order === "asc" ? "ASC" : "DESC")
        const comparison = sql.literal(order === "asc" ? ">" : "<")
        const found = cursor[0]
          ? yield* rows(sql<Row>`SELECT * FROM longsora_jobs WHERE owner = ${owner} AND n ${comparison} ${cursor[0].n}
              ORDER BY n ${direction} LIMIT ${limit + 1}`)
          : yield* rows(
              sql<Row>`SELECT * FROM longsora_jobs WHERE owner = ${owner} ORDER BY n ${direction} LIMIT ${limit + 1}`
            )
        return { data: found.slice(0, limit).map(toJob), hasMore: found.length > limit }
      }),
    update: (id, changes) => rows(update(id, changes)),
    reopen,
    retry,
    refund: (job, at, changes) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`DELETE FROM longsora_charges WHERE job_id = ${job.id} AND at = ${at}`
            yield* update(job.id, changes)
          })
        )
        .pipe(Effect.orDie),
    remove: (id) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`DELETE FROM longsora_events WHERE job_id = ${id}`
            yield* sql`DELETE FROM longsora_jobs WHERE id = ${id}`
          })
        )
        .pipe(Effect.orDie),
    unfinished: rows(
      sql<Row>`SELECT * FROM longsora_jobs WHERE status IN ('queued', 'in_progress') ORDER BY n ASC`
    ).pipe(Effect.map((found) => found.map(toJob))),
    appendEvent: (id, data) =>
      rows(
        sql<Row>`INSERT INTO longsora_events (job_id, seq, data)
          SELECT ${id}, coalesce(max(seq), 0) + 1, ${data} FROM longsora_events WHERE job_id = ${id}
          RETURNING seq`
      ).pipe(Effect.map((inserted) => Number(inserted[0]!.seq))),
    eventsAfter: (id, seq) =>
      rows(sql<Row>`SELECT seq, data FROM longsora_events WHERE job_id = ${id} AND seq > ${seq} ORDER BY seq`).pipe(
        Effect.map((found) => found.map((row) => ({ seq: Number(row.seq), data: row.data as string })))
      ),
    addKey: (key) =>
      rows(sql`INSERT INTO longsora_api_keys (id, name, salt, hash, created_at, max_running_jobs, seconds_per_day)
        VALUES (${key.id}, ${key.name}, ${key.salt}, ${key.hash}, ${key.createdAt}, ${key.maxRunningJobs},
        ${key.secondsPerDay})`).pipe(Effect.asVoid),
    findKey: (id) =>
      rows(sql<Row>`SELECT * FROM longsora_api_keys WHERE id = ${id}`).pipe(
        Effect.map((found) => Option.map(Option.fromNullishOr(found[0]), toKey))
      ),
    listKeys: rows(sql<Row>`SELECT * FROM longsora_api_keys ORDER BY created_at, name`).pipe(
      Effect.map((found) => found.map(toKey))
    ),
    removeKey: (name) =>
      rows(sql<Row>`DELETE FROM longsora_api_keys WHERE name = ${name} RETURNING id`).pipe(
        Effect.map((deleted) => deleted.length > 0)
      )
  }
  return service
})

export const layer: Layer.Layer<JobStore, never, SqlClient.SqlClient> = Layer.effect(JobStore, make)
