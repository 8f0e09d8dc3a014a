/**
 * The emulator's command-line flags, one table for both commands that start it: `longsora-emulator`
 * (this package's bin) and `longsora emulator`. Each flag says its default in the help, and
 * `toOptions` turns the parsed flags into `EmulatorOptions`. Loads only `effect/cli` and the
 * defaults, so `--help` and `--version` stay fast; a new option is one entry here and one line in
 * `toOptions`.
 */
import { Option } from "effect"
import { type Command, Flag } from "effect/cli"
import { defaults } from "./Defaults.ts"
import type { EmulatorOptions } from "./Emulator.ts"
import type { Faults } from "./Faults.ts"

const described = (description: string, value: string | number) => `${description} (default ${value})`

const nonNegative = <A extends number>(name: string) =>
  Flag.filter<A>(
    (n) => n >= 0,
    (n) => `--${name} expects a number of 0 or more, got ${n}`
  )

const int = (name: string, description: string, value: number) =>
  Flag.Int(name).pipe(nonNegative(name), Flag.withDescription(described(description, value)), Flag.withDefault(value))

const seconds = (name: string, description: string, value: number) =>
  Flag.Finite(name).pipe(
    nonNegative(name),
    Flag.withDescription(described(description, value)),
    Flag.withDefault(value)
  )

/** A fault knob: how many of the next eligible requests get the fault (none by default). */
const count = (name: string, description: string) =>
  Flag.Int(name).pipe(
    nonNegative(name),
    Flag.withMetavar("COUNT"),
    Flag.withDescription(`Fault: ${description} (default none)`),
    Flag.optional
  )

/** `COUNT[:VALUE]`, e.g. `--rate-limit 2:1500`. */
const countAnd = (name: string, value: string, description: string) =>
  Flag.String(name).pipe(
    Flag.mapTryCatch(
      (text) => {
        const [first, second, ...rest] = text.split(":").map((part) => (part.trim() === "" ? Number.NaN : Number(part)))
        const valid = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0)
        if (first === undefined || Number.isNaN(first) || !valid(first) || !valid(second) || rest.length > 0) {
          throw new Error(`--${name} expects COUNT[:${value}] (whole numbers), got '${text}'`)
        }
        return { count: first, value: second }
      },
      (error) => (error instanceof Error ? error.message : String(error))
    ),
    Flag.withMetavar(`COUNT[:${value}]`),
    Flag.withDescription(`Fault: ${description} (default none)`),
    Flag.optional
  )

export const flags = {
  port: int("port", "Port; 0 picks a free one", defaults.port),
  host: Flag.String("host").pipe(
    Flag.withDescription(described("Address to bind", defaults.host)),
    Flag.withDefault(defaults.host)
  ),
  apiKey: Flag.String("api-key").pipe(
    Flag.withDescription(described("The only accepted API key (bearer, x-goog-api-key, Key)", defaults.apiKey)),
    Flag.withDefault(defaults.apiKey)
  ),
  secondsPerVideoSecond: seconds(
    "seconds-per-video-second",
    "Simulated render wall time per second of video",
    defaults.secondsPerVideoSecond
  ),
  fixedSeconds: seconds("fixed-seconds", "Simulated fixed render wall time per job", defaults.fixedSeconds),
  videoBitrate: Flag.Int("video-bitrate").pipe(
    nonNegative("video-bitrate"),
    Flag.withDescription(
      "Video bits per second, held constant as a provider's clips are (5000000: an 8 s 720p clip of ~5 MB) (default: constant quality, a few hundred kB a clip)"
    ),
    Flag.optional
  ),
  maxConcurrentJobsPerKey: Flag.Int("max-concurrent-jobs-per-key").pipe(
    nonNegative("max-concurrent-jobs-per-key"),
    Flag.withDescription(
      'Jobs per key queued or rendering at once before 429 "Too many running tasks" (default no limit)'
    ),
    Flag.optional
  ),
  maxConcurrentRenders: int("max-concurrent-renders", "ffmpeg processes at once", defaults.maxConcurrentRenders),
  expiresAfter: int(
    "expires-after",
    "Seconds a finished video's content stays downloadable",
    defaults.expiresAfterSeconds
  ),
  extendedSeconds: Flag.Boolean("extended-seconds").pipe(
    Flag.withDescription('Also accept seconds "16" and "20" on Sora models (default off)'),
    Flag.withDefault(false)
  ),
  dataDir: Flag.String("data-dir").pipe(
    Flag.withDescription("Keep jobs, uploads and renders here, across restarts (default: a temp dir removed on exit)"),
    Flag.optional
  ),
  requestTimeout: int("request-timeout", "Milliseconds to receive a whole request", defaults.requestTimeoutMs),
  headersTimeout: int("headers-timeout", "Milliseconds to receive a request's headers", defaults.headersTimeoutMs),
  falQueueOrigin: Flag.String("fal-queue-origin").pipe(
    Flag.withDescription(described("The queue origin fal answers name", defaults.falQueueOrigin)),
    Flag.withDefault(defaults.falQueueOrigin)
  ),
  rateLimit: countAnd("rate-limit", "RETRY_AFTER_MS", "429 with retry-after / retry-after-ms"),
  serverErrors: countAnd("server-errors", "STATUS", `5xx answers (status ${defaults.serverErrorStatus} unless given)`),
  moderation: count("moderation", "created jobs end failed (moderation_blocked)"),
  stuck: count("stuck", "created jobs stay queued forever"),
  dropDownload: countAnd(
    "drop-download",
    "AFTER_BYTES",
    `content downloads cut after AFTER_BYTES (${defaults.dropDownloadAfterBytes} unless given)`
  ),
  loseCreateResponse: count("lose-create-response", "the job is created, the socket destroyed before the response"),
  slowDownload: Flag.Int("slow-download").pipe(
    nonNegative("slow-download"),
    Flag.withMetavar("BYTES_PER_SECOND"),
    Flag.withDescription("Fault: throttle every content download (default none)"),
    Flag.optional
  ),
  failOperation: count("fail-operation", "Gemini/fal: started jobs fail (operation error / failed request)"),
  expireResult: count("expire-result", "Gemini/fal: started jobs complete with an already expired result URL")
} as const

export type Parsed = Command.Command.Config.Infer<typeof flags>

/** Per request instead: header `x-emulator-fault: <name>[,<name>]`. */
export const perRequestFaults =
  "Faults per request: header x-emulator-fault: NAME[,NAME] with rate-limit, server-error, moderation, stuck, " +
  "drop-download, lose-create-response, slow-download, fail-operation, expire-result."

const faultsOf = (parsed: Parsed): Faults => {
  const given = <A, B>(option: Option.Option<A>, f: (a: A) => B) => Option.getOrUndefined(Option.map(option, f))
  const counted = (option: Option.Option<number>) => given(option, (n) => ({ count: n }))
  const entries: { [K in keyof Faults]: Faults[K] | undefined } = {
    rateLimit: given(parsed.rateLimit, ({ count, value }) =>
      value === undefined ? { count } : { count, retryAfterMs: value }
    ),
    serverErrors: given(parsed.serverErrors, ({ count, value }) =>
      value === undefined ? { count } : { count, status: value }
    ),
    moderation: counted(parsed.moderation),
    stuck: counted(parsed.stuck),
    dropDownload: given(parsed.dropDownload, ({ count, value }) =>
      value === undefined ? { count } : { count, afterBytes: value }
    ),
    loseCreateResponse: counted(parsed.loseCreateResponse),
    slowDownload: given(parsed.slowDownload, (bytesPerSecond) => ({ bytesPerSecond })),
    failOperation: counted(parsed.failOperation),
    expireResult: counted(parsed.expireResult)
  }
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Faults
}

export const toOptions = (parsed: Parsed): EmulatorOptions => ({
  port: parsed.port,
  host: parsed.host,
  apiKey: parsed.apiKey,
  render: {
    secondsPerVideoSecond: parsed.secondsPerVideoSecond,
    fixedSeconds: parsed.fixedSeconds,
    ...(Option.isSome(parsed.videoBitrate) && parsed.videoBitrate.value > 0
      ? { videoBitrate: parsed.videoBitrate.value }
      : {})
  },
  ...(Option.isSome(parsed.maxConcurrentJobsPerKey)
    ? { maxConcurrentJobsPerKey: parsed.maxConcurrentJobsPerKey.value }
    : {}),
  maxConcurrentRenders: parsed.maxConcurrentRenders,
  expiresAfterSeconds: parsed.expiresAfter,
  extendedSeconds: parsed.extendedSeconds,
  ...(Option.isSome(parsed.dataDir) ? { dataDir: parsed.dataDir.value } : {}),
  timeouts: { requestTimeoutMs: parsed.requestTimeout, headersTimeoutMs: parsed.headersTimeout },
  falQueueOrigin: parsed.falQueueOrigin,
  faults: faultsOf(parsed)
})
