/**
 * `longsora serve` as a layer: the Videos API over HTTP (and, with `mcp`, MCP at `/mcp`), the job
 * store in `DATA_DIR/server.sqlite`, job runs in `DATA_DIR/jobs/<id>/`. Give it the services a run needs (the CLI's, the SDK's
 * `LongSora.layer`, or your own planner and provider): provider keys stay on the server.
 */
import { mkdirSync } from "node:fs"
import { createServer } from "node:http"
import { join, resolve } from "node:path"
// Deep imports: the package barrel would also load the Redis client.
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { PgClient } from "@effect/sql-pg"
import * as RunLock from "@longsora/core/RunLock"
import { Effect, Layer, Option, Redacted } from "effect"
import { RunnerAddress } from "effect/cluster"
import { HttpRouter, HttpServer } from "effect/http"
import * as Api from "./Api.ts"
import * as ApiKeys from "./ApiKeys.ts"
import * as ClusterRunner from "./ClusterRunner.ts"
import * as JobRunner from "./JobRunner.ts"
import * as JobStore from "./JobStore.ts"
import * as McpEndpoint from "./McpEndpoint.ts"
import * as PgJobStore from "./PgJobStore.ts"

export interface Options {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** Default 8080; 0 picks a free port. */
  readonly port?: number | undefined
  readonly dataDir: string
  /** Jobs run at once (default 4); more wait `queued`. */
  readonly concurrency?: number | undefined
  /** Per key, unless the key says otherwise: jobs queued or in progress at once (default 20). */
  readonly maxRunningJobsPerKey?: number | undefined
  /** Per key, unless the key says otherwise: video seconds created per UTC day (default 3600). */
  readonly secondsPerDayPerKey?: number | undefined
  /** JSON bodies and form fields (default 1 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** An uploaded `input_reference` (default 20 MiB). */
  readonly maxUploadBytes?: number | undefined
  /** Origins allowed to call from a browser; none by default (CORS off). */
  readonly corsOrigins?: ReadonlyArray<string> | undefined
  /**
   * `postgres://…`: keep jobs in PostgreSQL and share them with every other runner on the same
   * database (Effect cluster); the data directory must then be shared by the runners too.
   */
  readonly database?: string | undefined
  /** With `database`: the address other runners reach this one at (default 127.0.0.1:34431). */
  readonly runnerHost?: string | undefined
  readonly runnerPort?: number | undefined
  /**
   * MCP over Streamable HTTP at `/mcp` (the tools of `longsora mcp`, on this server's jobs, behind
   * the same keys): jobs estimated above `confirmAbove` USD ask first (undefined: never, as offline).
   */
  readonly mcp?: { readonly confirmAbove: number | undefined; readonly version?: string | undefined } | undefined
  /** Called once the server listens, with its base URL (`http://HOST:PORT/v1`). */
  readonly onListening?: ((baseURL: string) => Effect.Effect<void>) | undefined
}

import { defaults } from "./Defaults.ts"

export { defaultDataDir, defaults } from "./Defaults.ts"

/** Issues an API key (see `ApiKeys.issue`). */
export const issueKey = ApiKeys.issue

export const listKeys = Effect.gen(function* () {
  return yield* (yield* JobStore.JobStore).listKeys
})

export const revokeKey = (name: string) =>
  Effect.gen(function* () {
    return yield* (yield* JobStore.JobStore).removeKey(name)
  })

export const storeFile = (dataDir: string) => join(resolve(dataDir), "server.sqlite")

const sqlClient = (database: string) => PgClient.layer({ url: Redacted.make(database), applicationName: "longsora" })

/** The store alone (SQLite in `dataDir`, or PostgreSQL at `database`), for commands that manage keys. */
export const storeLayer = (dataDir: string, database?: string | undefined): Layer.Layer<JobStore.JobStore> =>
  database
    ? PgJobStore.layer.pipe(Layer.provide(sqlClient(database)), Layer.orDie)
    : Layer.unwrap(
        Effect.sync(() => {
          mkdirSync(resolve(dataDir), { recursive: true })
          return JobStore.layer(storeFile(dataDir))
        })
      )

/** Runs jobs here, on one machine: SQLite, one server per data directory. */
const localJobs = (dataDir: string, concurrency: number) => {
  // One server per data directory: two would run the same jobs side by side.
  const lock = Layer.effectDiscard(RunLock.acquire(dataDir))
  return JobRunner.layer({ concurrency }).pipe(Layer.provideMerge(Layer.merge(storeLayer(dataDir), lock)))
}

/** Runs jobs on a cluster of runners sharing a PostgreSQL database. */
const clusterJobs = (database: string, concurrency: number, runnerHost: string, runnerPort: number) => {
  const sql = sqlClient(database)
  const sharding = NodeClusterSocket.layer({
    storage: "sql",
    shardingConfig: {
      runnerAddress: Option.some(RunnerAddress.make(runnerHost, runnerPort)),
      // A dead runner's shards move within seconds, not the defaults' minute.
      shardsPerGroup: 64,
      shardLockRefreshInterval: "2 seconds",
      shardLockExpiration: "6 seconds",
      refreshAssignmentsInterval: "1 second",
      entityMessagePollInterval: "1 second",
      runnerHealthCheckInterval: "2 seconds"
    }
  })
  return ClusterRunner.layer({ concurrency }).pipe(
    Layer.provideMerge(PgJobStore.layer),
    Layer.provide(sharding),
    Layer.provide(sql),
    Layer.orDie
  )
}

const isLoopback = (host: string) => host === "127.0.0.1" || host === "::1" || host === "localhost"

export const layer = (options: Options) => {
  const host = options.host ?? defaults.host
  const dataDir = resolve(options.dataDir)
  const concurrency = options.concurrency ?? defaults.concurrency
  const jobs = options.database
    ? clusterJobs(
        options.database,
        concurrency,
        options.runnerHost ?? "127.0.0.1",
        options.runnerPort ?? defaults.runnerPort
      )
    : localJobs(dataDir, concurrency)
  const auth = {
    limits: {
      maxRunningJobs: options.maxRunningJobsPerKey ?? defaults.maxRunningJobsPerKey,
      secondsPerDay: options.secondsPerDayPerKey ?? defaults.secondsPerDayPerKey
    },
    openWithoutKeys: isLoopback(host)
  }
  const routes = Api.layer({
    dataDir,
    auth,
    body: {
      maxBodyBytes: options.maxBodyBytes ?? defaults.maxBodyBytes,
      maxUploadBytes: options.maxUploadBytes ?? defaults.maxUploadBytes
    }
  })
  const cors =
    options.corsOrigins && options.corsOrigins.length > 0
      ? HttpRouter.cors({
          allowedOrigins: options.corsOrigins,
          allowedHeaders: ["authorization", "content-type", "last-event-id", "range"],
          exposedHeaders: ["content-range", "accept-ranges"]
        })
      : Layer.empty
  const announce = Layer.effectDiscard(
    Effect.gen(function* () {
      const server = yield* HttpServer.HttpServer
      const url = `${HttpServer.formatAddress(server.address)}/v1`
      yield* options.onListening ? options.onListening(url) : Effect.logInfo(`longsora serve listening on ${url}`)
    })
  )
  const http = NodeHttpServer.layer(createServer, { port: options.port ?? defaults.port, host })
  const mcp = options.mcp
    ? McpEndpoint.layer({ dataDir, auth, confirmAbove: options.mcp.confirmAbove, version: options.mcp.version })
    : Layer.empty
  const app = HttpRouter.serve(Layer.mergeAll(routes, mcp, cors), { disableListenLog: true, disableLogger: true })
  return Layer.mergeAll(app, announce).pipe(Layer.provide(http), Layer.provide(jobs))
}
