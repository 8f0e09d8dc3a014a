/**
 * What `longsora doctor` runs (loaded by its handler): is this machine ready? Node, ffmpeg, and each configured provider — the
 * OpenAI-protocol endpoint and every AI SDK provider whose key is set (its package installed, its
 * endpoint reachable) — each with its fix.
 */
import { Providers } from "@longsora/ai-sdk"
import { FfmpegBinary } from "@longsora/ffmpeg-combiner"
import { Config, Console, Data, Effect, Option, Redacted } from "effect"
import type { DoctorFlags } from "./DoctorCommand.ts"

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  readonly fix?: string
}

export class DoctorFailed extends Data.TaggedError("DoctorFailed")<{ readonly failed: ReadonlyArray<string> }> {
  override get message(): string {
    return `${this.failed.length} check(s) failed: ${this.failed.join(", ")}`
  }
}

const minimumNode = { major: 22, minor: 19 }

export const nodeCheck = (version: string = process.versions.node): Check => {
  const [major = 0, minor = 0] = version.split(".").map(Number)
  const ok = major > minimumNode.major || (major === minimumNode.major && minor >= minimumNode.minor)
  return ok
    ? { name: "node", ok, detail: `Node ${version}` }
    : {
        name: "node",
        ok,
        detail: `Node ${version} is too old`,
        fix: `Install Node ${minimumNode.major}.${minimumNode.minor} or newer (e.g. npm i node@22, or ./task in the repository).`
      }
}

const ffmpegCheck = Effect.gen(function* () {
  const binary = yield* FfmpegBinary.FfmpegBinary
  return yield* binary.check.pipe(
    Effect.map(
      (version): Check => ({ name: "ffmpeg", ok: true, detail: `ffmpeg ${version.text} at ${binary.ffmpeg}` })
    ),
    Effect.catch((error) => Effect.succeed<Check>({ name: "ffmpeg", ok: false, detail: error.detail, fix: error.fix }))
  )
})

/** Asks the endpoint for one video: proves it is reachable, serves the Videos API, and takes the key. */
export const endpointCheck = (baseURL: string, apiKey: Option.Option<Redacted.Redacted<string>>) =>
  Effect.promise(async (): Promise<Check> => {
    const name = "endpoint"
    const headers: Record<string, string> = Option.isSome(apiKey)
      ? { authorization: `Bearer ${Redacted.value(apiKey.value)}` }
      : {}
    try {
      const response = await fetch(`${baseURL.replace(/\/$/, "")}/videos?limit=1`, {
        headers,
        signal: AbortSignal.timeout(10_000)
      })
      if (response.ok) return { name, ok: true, detail: `${baseURL} serves the Videos API and accepts the key` }
      if (response.status === 401) {
        return {
          name,
          ok: false,
          detail: `${baseURL} rejected the key (401)`,
          fix: "Check OPENAI_API_KEY for this endpoint."
        }
      }
      if (response.status === 404) {
        return {
          name,
          ok: false,
          detail: `${baseURL} does not serve /videos (404)`,
          fix: "OpenAI shut the Sora API down on 2026-09-24: point --base-url or OPENAI_BASE_URL at a gateway that serves /v1/videos, or use --offline."
        }
      }
      return {
        name,
        ok: false,
        detail: `${baseURL} answered ${response.status}`,
        fix: "Try again later, or check the gateway's status."
      }
    } catch (error) {
      return {
        name,
        ok: false,
        detail: `${baseURL} is unreachable (${(error as Error).message})`,
        fix: "Check the network and the URL (--base-url / OPENAI_BASE_URL), or use --offline."
      }
    }
  })

/** Whether `info`'s package loads and its endpoint answers; the key itself is checked by a run. */
export const providerCheck = (info: Providers.ProviderInfo, baseURL: string | undefined) =>
  Effect.gen(function* () {
    const name = info.id
    const loaded = yield* Effect.result(Providers.load(info))
    if (loaded._tag === "Failure") {
      return { name, ok: false, detail: loaded.failure.detail, fix: loaded.failure.fix } satisfies Check
    }
    const base = Providers.rewriteUrl(baseURL ?? info.defaultBaseURL, info.fixedOrigins, baseURL)
    return yield* Effect.promise(async (): Promise<Check> => {
      try {
        const response = await fetch(base, { signal: AbortSignal.timeout(10_000) })
        await response.body?.cancel()
        return { name, ok: true, detail: `${info.packageName} is installed; ${base} answers (HTTP ${response.status})` }
      } catch (error) {
        return {
          name,
          ok: false,
          detail: `${base} is unreachable (${(error as Error).message})`,
          fix: `Check the network and ${info.baseUrlEnv}, or use --offline.`
        }
      }
    })
  })

/** The AI SDK providers whose key (or base URL) is set, with the base URL to check. */
const configuredProviders = Effect.gen(function* () {
  const found: Array<{ readonly info: Providers.ProviderInfo; readonly baseURL: string | undefined }> = []
  for (const info of Providers.providers) {
    if (info.id === "openai") continue
    const base = Option.getOrUndefined(yield* Config.String(info.baseUrlEnv).pipe(Config.option))
    let keySet = false
    for (const key of info.keyEnv) keySet ||= Option.isSome(yield* Config.String(key).pipe(Config.option))
    if (keySet || base !== undefined) found.push({ info, baseURL: base })
  }
  return found
})

export const run = Effect.fnUntraced(function* ({ baseUrl, json }: DoctorFlags) {
  const apiKey = yield* Config.Redacted("OPENAI_API_KEY").pipe(Config.option)
  const envBase = yield* Config.String("OPENAI_BASE_URL").pipe(Config.option)
  const base = Option.getOrElse(
    Option.orElse(baseUrl, () => envBase),
    () => "https://api.openai.com/v1"
  )
  const keyCheck: Check = Option.isSome(apiKey)
    ? { name: "key", ok: true, detail: `OPENAI_API_KEY is set (${Redacted.value(apiKey.value).length} characters)` }
    : {
        name: "key",
        ok: false,
        detail: "OPENAI_API_KEY is not set",
        fix: "export OPENAI_API_KEY=… for your endpoint, or use --offline (no key needed)."
      }
  const aiSdk = yield* configuredProviders
  // The OpenAI protocol is checked when it is configured, or when nothing else is.
  const openAi = Option.isSome(apiKey) || aiSdk.length === 0 ? [keyCheck, yield* endpointCheck(base, apiKey)] : []
  const providerChecks = yield* Effect.forEach(aiSdk, ({ info, baseURL }) => providerCheck(info, baseURL))
  const checks = [nodeCheck(), yield* ffmpegCheck, ...openAi, ...providerChecks]
  yield* Console.log(
    json
      ? JSON.stringify({ _tag: "Doctor", checks })
      : checks.map((c) => `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}`).join("\n")
  )
  const failed = checks.filter((c) => !c.ok).map((c) => c.name)
  if (failed.length > 0) return yield* new DoctorFailed({ failed })
}, Effect.provide(FfmpegBinary.layerConfig))
