/**
 * Which embedded store: node:sqlite (DatabaseSync) or PGlite (Postgres in WASM), on the server's own
 * workload, on disk: open, create jobs, record progress events (an event row and the job's row
 * updated, as the job runner does), read jobs by id and list pages. Run: `node bench/StoreBench.ts`.
 * Writes bench/results/store.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PGlite } from "@electric-sql/pglite"

process.removeAllListeners("warning")

const jobs = 500
const eventsPerJob = 20
const schema = [
  "CREATE TABLE jobs (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL, request TEXT NOT NULL, extras TEXT NOT NULL)",
  "CREATE TABLE events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job_id, seq))",
  "CREATE INDEX jobs_created ON jobs (created_at, id)"
]
const request = JSON.stringify({ prompt: "A lighthouse keeper climbs the stairs at dusk.".repeat(4), seconds: 24 })
const event = JSON.stringify({ _tag: "SegmentProgress", segment: 2, jobId: "video_0123456789abcdef", percent: 42 })

interface Store {
  exec(sql: string): Promise<void>
  run(sql: string, params: Array<string | number>): Promise<void>
  all(sql: string, params: Array<string | number>): Promise<Array<unknown>>
  close(): Promise<void>
}

const sqlite = async (dir: string): Promise<Store> => {
  const { DatabaseSync } = await import("node:sqlite")
  const db = new DatabaseSync(join(dir, "store.sqlite"))
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
  const cache = new Map<string, ReturnType<typeof db.prepare>>()
  const prepared = (sql: string) => cache.get(sql) ?? cache.set(sql, db.prepare(sql)).get(sql)!
  return {
    exec: async (sql) => db.exec(sql),
    run: async (sql, params) => void prepared(sql).run(...params),
    all: async (sql, params) => prepared(sql).all(...params),
    close: async () => db.close()
  }
}

const pglite = async (dir: string): Promise<Store> => {
  const db = await PGlite.create(join(dir, "pgdata"))
  const numbered = (sql: string) => {
    let n = 0
    return sql.replace(/\?/g, () => `$${++n}`)
  }
  return {
    exec: async (sql) => void (await db.exec(sql)),
    run: async (sql, params) => void (await db.query(numbered(sql), params)),
    all: async (sql, params) => (await db.query(numbered(sql), params)).rows,
    close: () => db.close()
  }
}

const time = async (f: () => Promise<void>) => {
  const started = performance.now()
  await f()
  return Math.round((performance.now() - started) * 10) / 10
}

const measure = async (name: string, open: (dir: string) => Promise<Store>) => {
  const dir = mkdtempSync(join(tmpdir(), `longsora-store-bench-${name}-`))
  const rssBefore = process.memoryUsage().rss
  try {
    let store!: Store
    const openMs = await time(async () => {
      store = await open(dir)
      for (const statement of schema) await store.exec(statement)
    })
    const ids = Array.from({ length: jobs }, (_, i) => `video_${String(i).padStart(8, "0")}`)
    const createMs = await time(async () => {
      for (const [i, id] of ids.entries()) {
        await store.run("INSERT INTO jobs VALUES (?, ?, 'queued', 0, ?, '{}')", [id, i, request])
      }
    })
    const eventsMs = await time(async () => {
      for (let seq = 0; seq < eventsPerJob; seq++) {
        for (const id of ids) {
          await store.run("INSERT INTO events VALUES (?, ?, ?)", [id, seq, event])
          await store.run("UPDATE jobs SET status = 'in_progress', progress = ?, extras = ? WHERE id = ?", [
            seq,
            event,
            id
          ])
        }
      }
    })
    const getMs = await time(async () => {
      for (const id of ids) await store.all("SELECT * FROM jobs WHERE id = ?", [id])
    })
    const listMs = await time(async () => {
      for (let i = 0; i < 100; i++) {
        await store.all("SELECT * FROM jobs WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT 20", [
          jobs - i * 3
        ])
      }
    })
    await store.close()
    const round = (ms: number) => Math.round(ms * 1000) / 1000
    return {
      store: name,
      openMs,
      createPerJobMs: round(createMs / jobs),
      eventPerWriteMs: round(eventsMs / (jobs * eventsPerJob)),
      getPerReadMs: round(getMs / jobs),
      listPerPageMs: round(listMs / 100),
      rssGrowthMb: Math.round((process.memoryUsage().rss - rssBefore) / 1e5) / 10
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = [await measure("node:sqlite", sqlite), await measure("pglite", pglite)]
console.table(results)
mkdirSync(new URL("results", import.meta.url), { recursive: true })
writeFileSync(
  new URL("results/store.json", import.meta.url),
  `${JSON.stringify({ node: process.version, jobs, eventsPerJob, results }, null, 2)}\n`
)
