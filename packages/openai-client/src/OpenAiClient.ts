/**
 * The `openai` SDK client as a service, configured the way SDK users expect (`OPENAI_API_KEY`,
 * `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`). The key stays `Redacted` everywhere
 * except the one place the SDK needs it. `maxRetries: 0`: retries are decided by `RetryPolicy`,
 * because a blind SDK retry of a create can start a second billable job.
 */
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import OpenAI from "openai"

/**
 * A key as every LongSora package takes it: a plain string (what JavaScript users have) or a `Redacted` (what
 * Effect's `Config.Redacted` gives). It is redacted at once either way.
 */
export type ApiKey = string | Redacted.Redacted<string>

export const redactKey = (key: ApiKey): Redacted.Redacted<string> =>
  Redacted.isRedacted(key) ? (key as Redacted.Redacted<string>) : Redacted.make(key)

export interface Options {
  readonly apiKey: ApiKey
  /** e.g. `http://127.0.0.1:8787/v1` for the emulator, or a gateway's OpenAI-compatible URL. */
  readonly baseURL?: string | undefined
  readonly organization?: string | undefined
  readonly project?: string | undefined
  /** Per-request timeout (ms); a request may ask for a longer one (planning does). */
  readonly timeoutMs?: number | undefined
  /** Custom fetch (proxies, tests). */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** Wraps a client you built yourself; its own settings are used as they are (keep `maxRetries: 0`). */
export const fromClient = (client: OpenAI, apiKey: Redacted.Redacted<string> = Redacted.make(client.apiKey ?? "")) =>
  Layer.succeed(OpenAiClient, OpenAiClient.of({ client, apiKey }))

export class OpenAiClient extends Context.Service<
  OpenAiClient,
  {
    readonly client: OpenAI
    /** The key, for scrubbing it out of any text that leaves this package. */
    readonly apiKey: Redacted.Redacted<string>
  }
>()("@longsora/openai-client/OpenAiClient") {}

export const DEFAULT_TIMEOUT_MS = 120_000

export const make = (options: Options): OpenAiClient["Service"] => {
  const apiKey = redactKey(options.apiKey)
  return OpenAiClient.of({
    apiKey,
    client: new OpenAI({
      apiKey: Redacted.value(apiKey),
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // `null` stops the SDK from reading the env itself: config comes through Effect's Config.
      baseURL: options.baseURL ?? null,
      organization: options.organization ?? null,
      project: options.project ?? null,
      ...(options.fetch ? { fetch: options.fetch } : {})
    })
  })
}

export const layer = (options: Options): Layer.Layer<OpenAiClient> => Layer.succeed(OpenAiClient, make(options))

/** Reads the client settings from config (env by default); `options` override what is read. */
export const config = (options: Partial<Options> = {}): Config.Config<Options> =>
  Config.all({
    apiKey: options.apiKey ? Config.succeed(redactKey(options.apiKey)) : Config.Redacted("OPENAI_API_KEY"),
    baseURL: optionalString("OPENAI_BASE_URL", options.baseURL),
    organization: optionalString("OPENAI_ORG_ID", options.organization),
    project: optionalString("OPENAI_PROJECT_ID", options.project),
    timeoutMs:
      options.timeoutMs !== undefined
        ? Config.succeed(options.timeoutMs)
        : Config.Int("OPENAI_TIMEOUT_MS").pipe(Config.option, Config.map(Option.getOrUndefined))
  }).pipe(Config.map((read) => ({ ...read, fetch: options.fetch })))

const optionalString = (name: string, given: string | undefined): Config.Config<string | undefined> =>
  given !== undefined
    ? Config.succeed(given)
    : Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))

export const layerConfig = (options: Partial<Options> = {}) =>
  Layer.effect(OpenAiClient, Effect.map(config(options), make))

/** Replaces the key wherever it appears, so no message we build can leak it. */
export const scrub = (text: string, apiKey: Redacted.Redacted<string>): string => {
  const key = Redacted.value(apiKey)
  return key.length >= 4 ? text.split(key).join("[redacted]") : text
}
