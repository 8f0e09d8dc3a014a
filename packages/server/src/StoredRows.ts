/**
 * A stored row → a job or a key, for both stores: SQLite and PostgreSQL keep the same columns, and
 * their drivers differ only in how a number comes back (SQLite `number`, Postgres `BIGINT` as a string).
 */
import type { Extras, Job, JobError, JobRequest, Status } from "./Job.ts"
import type { KeyRecord } from "./JobStore.ts"

export type Row = Record<string, unknown>

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value))

export const toJob = (row: Row): Job => ({
  id: row.id as string,
  owner: row.owner as string,
  createdAt: Number(row.created_at),
  status: row.status as Status,
  progress: Number(row.progress),
  seconds: Number(row.seconds),
  size: row.size as string,
  request: JSON.parse(row.request as string) as JobRequest,
  outputDir: row.output_dir as string,
  completedAt: nullableNumber(row.completed_at),
  error: row.error === null || row.error === undefined ? null : (JSON.parse(row.error as string) as JobError),
  extras: JSON.parse(row.extras as string) as Extras,
  attempt: Number(row.attempt ?? 0),
  recreateLost: Number(row.recreate_lost ?? 0) === 1
})

export const toKey = (row: Row): KeyRecord => ({
  id: row.id as string,
  name: row.name as string,
  salt: row.salt as string,
  hash: row.hash as string,
  createdAt: Number(row.created_at),
  maxRunningJobs: nullableNumber(row.max_running_jobs),
  secondsPerDay: nullableNumber(row.seconds_per_day)
})
