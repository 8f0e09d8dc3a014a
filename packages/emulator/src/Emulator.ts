/**
 * Starting and stopping an emulator: programmatically (`start`) or as an Effect layer (`layer`)
 * that provides the `EmulatorServer` service for the layer's scope.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Data, Effect, Layer } from "effect"
import type { App } from "./AppContext.ts"
import * as DataDirLock from "./DataDirLock.ts"
import { defaults } from "./Defaults.ts"
import {
  defaultFalImageApps,
  defaultFalModels,
  defaultGeminiImageModels,
  defaultVeoModels,
  defaultXaiModels,
  type FalImageApp,
  type FalModel,
  type GeminiImageModel,
  type VeoModel,
  type XaiModel
} from "./DialectModels.ts"
import { DialectState } from "./Dialects.ts"
import { FAL_QUEUE_ORIGIN, falFetch, QUEUE_PATH } from "./FalApi.ts"
import { RUN_PATH } from "./FalImages.ts"
import { FaultState, type Faults } from "./Faults.ts"
import { FileStore } from "./FileStore.ts"
import { makeHandler, type RequestCounters } from "./Http.ts"
import { ImagesState } from "./ImagesApi.ts"
import { imagesDir, type JobStat } from "./JobRecords.ts"
import { defaultLimits, defaultTimeouts, type Limits, type Timeouts } from "./Limits.ts"
import { defaultModels, type ModelSpec, withExtendedSeconds } from "./Models.ts"
import { VideoStore } from "./VideoStore.ts"
import { API_PATH as XAI_API_PATH } from "./XaiApi.ts"

export { type DataDirStats, readDataDir } from "./JobRecords.ts"
export type { Limits, Timeouts } from "./Limits.ts"

export interface RenderOptions {
  /** Simulated wall seconds per second of video (default 0.02). */
  readonly secondsPerVideoSecond?: number
  /** Simulated fixed wall seconds per job (default 0.2). */
  readonly fixedSeconds?: number
  /**
   * Video bits per second, held constant (CBR with filler), as a provider's clips are: e.g. 5_000_000 makes an
   * 8 s 720p clip about 5 MB. Default: constant quality (a few hundred kB per clip of these pictures).
   */
  readonly videoBitrate?: number
}

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number
  readonly host?: string
  /** The only accepted bearer key (default `sk-emulator`). */
  readonly apiKey?: string
  readonly render?: RenderOptions
  /** Jobs per key that may be queued/in_progress at once; more get 429 "Too many running tasks". */
  readonly maxConcurrentJobsPerKey?: number
  /** ffmpeg processes at once across all jobs (default 2). */
  readonly maxConcurrentRenders?: number
  /** Content lifetime after completion (default 3600). */
  readonly expiresAfterSeconds?: number
  readonly faults?: Faults
  /** Extra or replacement model table entries, e.g. `{ "veo-3.1": { seconds: ["4","6","8"], sizes: ["1280x720"] } }`. */
  readonly models?: Readonly<Record<string, ModelSpec>>
  /** Also accept seconds "16" and "20" on Sora models (the 2026-03 guide; not in the SDK enum). */
  readonly extendedSeconds?: boolean
  /**
   * Where jobs, uploads and renders go; default a temp dir removed on close. Jobs recorded there by an
   * earlier process are picked up again (see `readDataDir` for its counts without a server).
   */
  readonly dataDir?: string
  /** Bounds on request bodies and fetched references (see Limits.ts for the defaults). */
  readonly limits?: Partial<Limits>
  /** Header and whole-request timeouts (defaults 20 s and 30 s). */
  readonly timeouts?: Partial<Timeouts>
  /** Extra or replacement Veo models for the Gemini dialect (`/v1beta`). */
  readonly veoModels?: Readonly<Record<string, VeoModel>>
  /** Extra or replacement fal apps for the fal dialect (`/fal/queue`), keyed by app id. */
  readonly falModels?: Readonly<Record<string, FalModel>>
  /** Extra or replacement Grok Imagine models for the xAI dialect (`/xai/v1`), keyed by model id. */
  readonly xaiModels?: Readonly<Record<string, XaiModel>>
  /** Extra or replacement image models for the Gemini dialect (`models/{id}:generateContent`). */
  readonly geminiImageModels?: Readonly<Record<string, GeminiImageModel>>
  /** Extra or replacement fal image apps on the synchronous endpoint (`/fal/run/{app}`). */
  readonly falImageApps?: Readonly<Record<string, FalImageApp>>
  /**
   * The queue origin fal's answers name in `response_url`/`status_url` (default
   * `https://queue.fal.run`, which `@ai-sdk/fal` requires; route it here with `falFetch`). Give the
   * emulator's own `falQueueURL` to have plain HTTP clients poll the emulator directly.
   */
  readonly falQueueOrigin?: string
}

export interface EmulatorStats {
  /** Jobs created by this process, by every protocol: OpenAI creates and remixes, Gemini, fal and xAI starts. */
  readonly creates: number
  /** Jobs ever created in the data directory, by this process and every earlier one (deleted ones included). */
  readonly totalCreates: number
  readonly createsByDialect: {
    readonly openai: number
    readonly gemini: number
    readonly fal: number
    readonly xai: number
  }
  /**
   * Images made by this process, each one billed at the vendor: through the OpenAI Images API
   * (`generations`, `edits`), Gemini image models and fal image apps; `total` is their sum.
   */
  readonly images: {
    readonly total: number
    readonly generations: number
    readonly edits: number
    readonly gemini: number
    readonly fal: number
  }
  readonly requests: number
  readonly requestsByRoute: Readonly<Record<string, number>>
  readonly jobs: ReadonlyArray<JobStat>
}

export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:4010/v1`, ready for `new OpenAI({ baseURL })`. */
  readonly baseURL: string
  readonly port: number
  /** The only accepted key for every protocol (bearer, `x-goog-api-key`, `Authorization: Key`). */
  readonly apiKey: string
  /** e.g. `http://127.0.0.1:4010/v1beta`: `createGoogleGenerativeAI({ baseURL })`. */
  readonly geminiBaseURL: string
  /** e.g. `http://127.0.0.1:4010/fal/queue`: stands for `https://queue.fal.run`. */
  readonly falQueueURL: string
  /** A fetch sending `https://queue.fal.run/…` here: `createFal({ fetch })`. */
  readonly falFetch: typeof fetch
  /** e.g. `http://127.0.0.1:4010/xai/v1`: stands for `https://api.x.ai/v1`, `createXai({ baseURL })`. */
  readonly xaiBaseURL: string
  /** e.g. `http://127.0.0.1:4010/fal/run`: stands for `https://fal.run` (fal's image apps), `createFal({ baseURL })`. */
  readonly falRunURL: string
  close(): Promise<void>
  stats(): EmulatorStats
  setFaults(faults: Faults): void
}

export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{
  readonly message: string
  readonly cause: unknown
}> {}

export const start = async (options: EmulatorOptions = {}): Promise<RunningEmulator> => {
  const host = options.host ?? defaults.host
  const apiKey = options.apiKey ?? defaults.apiKey
  const ownDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "longsora-emulator-")))
  const createdFrom = await mkdir(dataDir, { recursive: true })
  // Before anything in the directory is touched: another emulator's uploads and renders live there.
  const releaseDataDir = await DataDirLock.acquire(dataDir, createdFrom)
  // Created on first use, so a caller whose run fails before any request leaves no directory behind.
  const uploadDir = join(dataDir, "uploads")
  // Request-scoped files of a process that died mid-request: nothing refers to them any more.
  await rm(uploadDir, { recursive: true, force: true })
  const baseModels = { ...defaultModels }
  const models = {
    ...(options.extendedSeconds ? withExtendedSeconds(baseModels) : baseModels),
    ...options.models
  }
  const store = new VideoStore({
    dataDir,
    secondsPerVideoSecond: options.render?.secondsPerVideoSecond ?? defaults.secondsPerVideoSecond,
    fixedSeconds: options.render?.fixedSeconds ?? defaults.fixedSeconds,
    videoBitrate: options.render?.videoBitrate,
    expiresAfterSeconds: options.expiresAfterSeconds ?? defaults.expiresAfterSeconds,
    maxConcurrentJobsPerKey: options.maxConcurrentJobsPerKey,
    maxConcurrentRenders: options.maxConcurrentRenders ?? defaults.maxConcurrentRenders
  })
  const faults = new FaultState(options.faults)
  const limits = defaultLimits(options.limits)
  const dialects = new DialectState({
    veoModels: { ...defaultVeoModels, ...options.veoModels },
    falModels: { ...defaultFalModels, ...options.falModels },
    xaiModels: { ...defaultXaiModels, ...options.xaiModels },
    geminiImageModels: { ...defaultGeminiImageModels, ...options.geminiImageModels },
    falImageApps: { ...defaultFalImageApps, ...options.falImageApps },
    imageDir: imagesDir(dataDir),
    falQueueOrigin: options.falQueueOrigin ?? FAL_QUEUE_ORIGIN
  })
  const images = new ImagesState(dataDir)
  const app: App = { store, files: new FileStore(), faults, models, uploadDir, limits, creates: 0, dialects, images }
  const counters: RequestCounters = { requests: 0, byRoute: {} }
  const handler = makeHandler(app, apiKey, counters)
  const timeouts = defaultTimeouts(options.timeouts)
  const server = createServer(
    {
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs)
    },
    (req, res) => void handler(req, res)
  )
  try {
    await store.load()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject)
        resolve()
      })
    })
  } catch (e) {
    await store.close()
    await releaseDataDir()
    if (ownDir) await rm(dataDir, { recursive: true, force: true })
    throw e
  }
  const port = (server.address() as AddressInfo).port
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
  let closing: Promise<void> | undefined
  return {
    baseURL: `${origin}/v1`,
    port,
    apiKey,
    geminiBaseURL: `${origin}/v1beta`,
    falQueueURL: `${origin}${QUEUE_PATH}`,
    falFetch: falFetch(`${origin}${QUEUE_PATH}`, dialects.falQueueOrigin),
    falRunURL: `${origin}${RUN_PATH}`,
    xaiBaseURL: `${origin}${XAI_API_PATH}`,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await store.close()
        await releaseDataDir()
        if (ownDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 })
      })()
      return closing
    },
    stats: () => ({
      creates: app.creates,
      totalCreates: store.totalCreates(),
      createsByDialect: {
        openai: app.creates - dialects.creates.gemini - dialects.creates.fal - dialects.creates.xai,
        ...dialects.creates
      },
      images: {
        total: images.generations + images.edits + dialects.images.gemini + dialects.images.fal,
        generations: images.generations,
        edits: images.edits,
        ...dialects.images
      },
      requests: counters.requests,
      requestsByRoute: { ...counters.byRoute },
      jobs: store.stats()
    }),
    setFaults: (f) => faults.set(f)
  }
}

/** The running emulator as an Effect service. */
export class EmulatorServer extends Context.Service<
  EmulatorServer,
  {
    readonly baseURL: string
    readonly apiKey: string
    readonly geminiBaseURL: string
    readonly falQueueURL: string
    readonly falFetch: typeof fetch
    readonly falRunURL: string
    readonly xaiBaseURL: string
    readonly stats: () => EmulatorStats
    readonly setFaults: (faults: Faults) => void
  }
>()("@longsora/emulator/EmulatorServer") {}

/** Starts an emulator for the layer's lifetime and closes it when the scope closes. */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<EmulatorServer, EmulatorStartError> =>
  Layer.effect(
    EmulatorServer,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => start(options),
        catch: (cause) => new EmulatorStartError({ message: `Could not start the emulator: ${String(cause)}`, cause })
      }),
      (emu) => Effect.promise(() => emu.close())
    ).pipe(
      Effect.map((emu) =>
        EmulatorServer.of({
          baseURL: emu.baseURL,
          apiKey: emu.apiKey,
          geminiBaseURL: emu.geminiBaseURL,
          falQueueURL: emu.falQueueURL,
          falFetch: emu.falFetch,
          falRunURL: emu.falRunURL,
          xaiBaseURL: emu.xaiBaseURL,
          stats: () => emu.stats(),
          setFaults: (f) => emu.setFaults(f)
        })
      )
    )
  )
