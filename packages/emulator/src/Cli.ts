/**
 * Command-line flags of `longsora-emulator`, parsed into EmulatorOptions (kept apart from bin.ts so
 * the parsing is testable without spawning a process).
 */
import { parseArgs } from "node:util"
import type { EmulatorOptions } from "./Emulator.ts"
import type { Faults } from "./Faults.ts"

export const USAGE = `Usage: longsora-emulator [flags]

  --port N                        port (default 0 = any free port)
  --host H                        bind address (default 127.0.0.1)
  --api-key KEY                   accepted bearer key (default sk-emulator)
  --seconds-per-video-second S    simulated render wall time per video second (default 0.02)
  --fixed-seconds S               simulated fixed render wall time per job (default 0.2)
  --max-concurrent-jobs-per-key N running jobs per key before 429 "Too many running tasks"
  --max-concurrent-renders N      ffmpeg processes at once (default 2)
  --expires-after S               content lifetime after completion (default 3600)
  --extended-seconds              also accept seconds "16" and "20" on Sora models
  --data-dir DIR                  keep jobs, uploads and renders here, across restarts
                                  (default: a temp dir, removed on exit)
  --request-timeout MS            time to receive a whole request (default 30000)
  --headers-timeout MS            time to receive a request's headers (default 20000)
  --fal-queue-origin URL          origin fal answers give the queue (default https://queue.fal.run)
Faults (COUNT = how many of the next eligible requests get the fault):
  --rate-limit COUNT[:RETRY_AFTER_MS]      429 with retry-after / retry-after-ms
  --server-errors COUNT[:STATUS]           5xx (default 500)
  --moderation COUNT                       created jobs end failed (moderation_blocked)
  --stuck COUNT                            created jobs stay queued forever
  --drop-download COUNT[:AFTER_BYTES]      content downloads cut after AFTER_BYTES (default 1024)
  --lose-create-response COUNT             job created, socket destroyed before the response
  --slow-download BYTES_PER_SECOND         throttle every content download
  --fail-operation COUNT                   Gemini/fal: started jobs fail (operation error / failed request)
  --expire-result COUNT                    Gemini/fal: started jobs complete with an already expired result URL
Per request: header "x-emulator-fault: <name>[,<name>]" with rate-limit, server-error, moderation,
stuck, drop-download, lose-create-response, slow-download, fail-operation, expire-result.
`

export class CliError extends Error {}

const num = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new CliError(`--${flag} expects a non-negative number, got '${v}'`)
  return n
}

/** `COUNT[:X]` → [count, x]. */
const pair = (flag: string, v: string | undefined): [number, number | undefined] | undefined => {
  if (v === undefined) return undefined
  const [a, b] = v.split(":")
  return [num(flag, a) ?? 0, num(flag, b)]
}

export const parse = (argv: ReadonlyArray<string>): EmulatorOptions | "help" => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string" },
      "seconds-per-video-second": { type: "string" },
      "fixed-seconds": { type: "string" },
      "max-concurrent-jobs-per-key": { type: "string" },
      "max-concurrent-renders": { type: "string" },
      "expires-after": { type: "string" },
      "extended-seconds": { type: "boolean" },
      "data-dir": { type: "string" },
      "request-timeout": { type: "string" },
      "headers-timeout": { type: "string" },
      "fal-queue-origin": { type: "string" },
      "rate-limit": { type: "string" },
      "server-errors": { type: "string" },
      moderation: { type: "string" },
      stuck: { type: "string" },
      "drop-download": { type: "string" },
      "lose-create-response": { type: "string" },
      "slow-download": { type: "string" },
      "fail-operation": { type: "string" },
      "expire-result": { type: "string" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help) return "help"
  const faults: { -readonly [K in keyof Faults]: Faults[K] } = {}
  const rl = pair("rate-limit", values["rate-limit"])
  if (rl) faults.rateLimit = rl[1] === undefined ? { count: rl[0] } : { count: rl[0], retryAfterMs: rl[1] }
  const se = pair("server-errors", values["server-errors"])
  if (se) faults.serverErrors = se[1] === undefined ? { count: se[0] } : { count: se[0], status: se[1] }
  const mod = num("moderation", values.moderation)
  if (mod !== undefined) faults.moderation = { count: mod }
  const stuck = num("stuck", values.stuck)
  if (stuck !== undefined) faults.stuck = { count: stuck }
  const dd = pair("drop-download", values["drop-download"])
  if (dd) faults.dropDownload = dd[1] === undefined ? { count: dd[0] } : { count: dd[0], afterBytes: dd[1] }
  const lose = num("lose-create-response", values["lose-create-response"])
  if (lose !== undefined) faults.loseCreateResponse = { count: lose }
  const slow = num("slow-download", values["slow-download"])
  if (slow !== undefined) faults.slowDownload = { bytesPerSecond: slow }
  const fail = num("fail-operation", values["fail-operation"])
  if (fail !== undefined) faults.failOperation = { count: fail }
  const expire = num("expire-result", values["expire-result"])
  if (expire !== undefined) faults.expireResult = { count: expire }

  const options: { -readonly [K in keyof EmulatorOptions]: EmulatorOptions[K] } = { faults }
  const port = num("port", values.port)
  if (port !== undefined) options.port = port
  if (values.host !== undefined) options.host = values.host
  if (values["api-key"] !== undefined) options.apiKey = values["api-key"]
  const perSecond = num("seconds-per-video-second", values["seconds-per-video-second"])
  const fixed = num("fixed-seconds", values["fixed-seconds"])
  if (perSecond !== undefined || fixed !== undefined) {
    options.render = {
      ...(perSecond === undefined ? {} : { secondsPerVideoSecond: perSecond }),
      ...(fixed === undefined ? {} : { fixedSeconds: fixed })
    }
  }
  const perKey = num("max-concurrent-jobs-per-key", values["max-concurrent-jobs-per-key"])
  if (perKey !== undefined) options.maxConcurrentJobsPerKey = perKey
  const renders = num("max-concurrent-renders", values["max-concurrent-renders"])
  if (renders !== undefined) options.maxConcurrentRenders = renders
  const expires = num("expires-after", values["expires-after"])
  if (expires !== undefined) options.expiresAfterSeconds = expires
  if (values["extended-seconds"]) options.extendedSeconds = true
  if (values["data-dir"] !== undefined) options.dataDir = values["data-dir"]
  const requestTimeoutMs = num("request-timeout", values["request-timeout"])
  const headersTimeoutMs = num("headers-timeout", values["headers-timeout"])
  if (requestTimeoutMs !== undefined || headersTimeoutMs !== undefined) {
    options.timeouts = {
      ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
      ...(headersTimeoutMs === undefined ? {} : { headersTimeoutMs })
    }
  }
  if (values["fal-queue-origin"] !== undefined) options.falQueueOrigin = values["fal-queue-origin"]
  return options
}
