/**
 * The AI SDK provider packages LongSora can drive, chosen by a provider-prefixed model id as the AI
 * SDK's provider registry writes them (`google:veo-3.1-generate-preview`, `fal:<app>`,
 * `google:gemini-2.5-flash`). Each package is an optional peer dependency, imported only when a
 * model of it is used; each reads its own env vars (`GOOGLE_GENERATIVE_AI_API_KEY`, `FAL_KEY`, …).
 * Keys are read through Effect's `Config` (so they stay `Redacted` and can be scrubbed from text)
 * and handed to the package's factory; the package gets a `fetch` that can point it elsewhere (the
 * emulator) and that lets the generator see the HTTP status behind a provider's answer.
 */
import { Errors } from "@longsora/core"
import { Config, Effect, Option, Redacted } from "effect"
import { ERROR_BODY_CHARS } from "./ProviderCall.ts"

export interface ProviderInfo {
  /** The prefix in model ids. */
  readonly id: string
  readonly aliases: ReadonlyArray<string>
  readonly packageName: string
  /** The package's factory export, e.g. `createFal`. */
  readonly factory: string
  /** Env vars that hold the key, first set wins; empty when the package authenticates itself. */
  readonly keyEnv: ReadonlyArray<string>
  /** Whether a run needs a key from `keyEnv` (Vertex can use application default credentials). */
  readonly keyRequired: boolean
  /** Env var with the base URL (the package's own setting, or ours where it has none). */
  readonly baseUrlEnv: string
  readonly defaultBaseURL: string
  /**
   * Origins the package calls whatever its `baseURL` (fal's queue): requests to them go to the
   * configured base URL instead, when one is set.
   */
  readonly fixedOrigins: ReadonlyArray<string>
  /** Where the emulator serves this provider's protocol, relative to its origin; none if it does not. */
  readonly emulatorPath: string | undefined
  /** The emulator speaks its video API only, not its language models' (xAI's chat). */
  readonly emulatesVideoOnly: boolean
  readonly video: boolean
  readonly language: boolean
  /** Where the package's image models call, when LongSora drives them (`AiSdkKeyframeGenerator`). */
  readonly images?: ImageEndpoint | undefined
}

/** The endpoint of a package's image models, when it differs from its video models' (fal: `fal.run`). */
export interface ImageEndpoint {
  /** Env var with the image models' base URL (the package's own setting, or ours where it has none). */
  readonly baseUrlEnv: string
  readonly defaultBaseURL: string
  /** Where the emulator serves it, relative to its origin. */
  readonly emulatorPath: string
}

const provider = (
  info: Omit<ProviderInfo, "aliases" | "fixedOrigins" | "keyRequired" | "emulatesVideoOnly"> & Partial<ProviderInfo>
) => ({ aliases: [], fixedOrigins: [], keyRequired: true, emulatesVideoOnly: false, ...info }) as ProviderInfo

export const providers: ReadonlyArray<ProviderInfo> = [
  provider({
    id: "google",
    packageName: "@ai-sdk/google",
    factory: "createGoogleGenerativeAI",
    keyEnv: ["GOOGLE_GENERATIVE_AI_API_KEY"],
    baseUrlEnv: "GOOGLE_GENERATIVE_AI_BASE_URL",
    defaultBaseURL: "https://generativelanguage.googleapis.com/v1beta",
    emulatorPath: "/v1beta",
    video: true,
    language: true,
    // Gemini image models are language models with image output: the same endpoint.
    images: {
      baseUrlEnv: "GOOGLE_GENERATIVE_AI_BASE_URL",
      defaultBaseURL: "https://generativelanguage.googleapis.com/v1beta",
      emulatorPath: "/v1beta"
    }
  }),
  provider({
    id: "vertex",
    aliases: ["google-vertex"],
    packageName: "@ai-sdk/google-vertex",
    factory: "createVertex",
    keyEnv: ["GOOGLE_VERTEX_API_KEY"],
    keyRequired: false,
    baseUrlEnv: "GOOGLE_VERTEX_BASE_URL",
    defaultBaseURL: "https://aiplatform.googleapis.com",
    emulatorPath: undefined,
    video: true,
    language: true
  }),
  provider({
    id: "fal",
    packageName: "@ai-sdk/fal",
    factory: "createFal",
    keyEnv: ["FAL_API_KEY", "FAL_KEY"],
    baseUrlEnv: "FAL_BASE_URL",
    defaultBaseURL: "https://queue.fal.run",
    // @ai-sdk/fal's video model always submits to https://queue.fal.run, whatever `baseURL` says.
    fixedOrigins: ["https://queue.fal.run"],
    emulatorPath: "/fal/queue",
    video: true,
    language: false,
    // Image apps answer synchronously on https://fal.run, which the package's image model takes as `baseURL`.
    images: { baseUrlEnv: "FAL_RUN_BASE_URL", defaultBaseURL: "https://fal.run", emulatorPath: "/fal/run" }
  }),
  provider({
    id: "replicate",
    packageName: "@ai-sdk/replicate",
    factory: "createReplicate",
    keyEnv: ["REPLICATE_API_TOKEN"],
    baseUrlEnv: "REPLICATE_BASE_URL",
    defaultBaseURL: "https://api.replicate.com/v1",
    emulatorPath: undefined,
    video: true,
    language: false
  }),
  provider({
    id: "xai",
    packageName: "@ai-sdk/xai",
    factory: "createXai",
    keyEnv: ["XAI_API_KEY"],
    baseUrlEnv: "XAI_BASE_URL",
    defaultBaseURL: "https://api.x.ai/v1",
    emulatorPath: "/xai/v1",
    // Grok Imagine's video API only: a Grok language model is refused offline (`emulatorConnection`).
    emulatesVideoOnly: true,
    video: true,
    language: true
  }),
  provider({
    id: "alibaba",
    packageName: "@ai-sdk/alibaba",
    factory: "createAlibaba",
    keyEnv: ["ALIBABA_API_KEY"],
    baseUrlEnv: "ALIBABA_BASE_URL",
    defaultBaseURL: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    emulatorPath: undefined,
    video: true,
    language: true
  }),
  provider({
    id: "openai",
    packageName: "@ai-sdk/openai",
    factory: "createOpenAI",
    keyEnv: ["OPENAI_API_KEY"],
    baseUrlEnv: "OPENAI_BASE_URL",
    defaultBaseURL: "https://api.openai.com/v1",
    emulatorPath: "/v1",
    video: false,
    language: true
  })
]

export interface ModelRef {
  readonly provider: ProviderInfo
  /** The id the package knows (after the prefix). */
  readonly modelId: string
}

/**
 * `google:veo-3.1-generate-preview` → Google's `veo-3.1-generate-preview`; `undefined` for a bare
 * id or an unknown prefix (those keep their OpenAI-protocol meaning).
 */
export const parseModelId = (id: string): ModelRef | undefined => {
  const colon = id.indexOf(":")
  if (colon <= 0) return undefined
  const prefix = id.slice(0, colon).toLowerCase()
  const found = providers.find((p) => p.id === prefix || p.aliases.includes(prefix))
  const modelId = id.slice(colon + 1)
  return found && modelId.length > 0 ? { provider: found, modelId } : undefined
}

/** Whether an id names an AI SDK model (a known provider prefix). */
export const isAiSdkModel = (id: string): boolean => parseModelId(id) !== undefined

/** The header the generator puts on a call to learn its HTTP status (stripped before sending). */
export const CALL_HEADER = "x-longsora-call"

export interface Answer {
  readonly status: number
  readonly headers: Headers
  /** An error answer's first bytes: why it was refused (e.g. fal's `content_policy_violation`), which fal's package drops. */
  readonly body?: string | undefined
}

/** What the probing fetch saw, per call id. */
export type Probe = Map<string, Answer>

export interface Connection {
  /** Key as read (for scrubbing), when there is one. */
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly baseURL: string | undefined
}

const urlOf = (input: string | URL | Request): string =>
  typeof input === "string" ? input : input instanceof URL ? input.href : input.url

/** Moves a URL on one of `origins` to `base` (keeping its path and query). */
export const rewriteUrl = (url: string, origins: ReadonlyArray<string>, base: string | undefined): string => {
  if (base === undefined) return url
  const origin = origins.find((o) => url === o || url.startsWith(`${o}/`))
  return origin === undefined ? url : `${base.replace(/\/$/, "")}${url.slice(origin.length)}`
}

/** A fetch for a provider package: rewrites its fixed origins, records answers of marked calls. */
export const makeFetch =
  (info: ProviderInfo, connection: Connection, probe: Probe, base: typeof fetch = globalThis.fetch): typeof fetch =>
  async (input, init) => {
    const url = rewriteUrl(urlOf(input), info.fixedOrigins, connection.baseURL)
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    const call = headers.get(CALL_HEADER)
    headers.delete(CALL_HEADER)
    const request = input instanceof Request ? new Request(url, input) : url
    const response = await base(request, { ...init, headers })
    if (call) {
      const body =
        response.status >= 400
          ? (
              await response
                .clone()
                .text()
                .catch(() => "")
            ).slice(0, ERROR_BODY_CHARS)
          : undefined
      probe.set(call, { status: response.status, headers: response.headers, ...(body ? { body } : {}) })
    }
    return response
  }

/**
 * The key and base URL for `info` from config (env by default); `given` overrides what is read.
 * `baseUrlEnv`: where the base URL is read from (the image endpoint's variable for image models).
 */
export const connectionConfig = (
  info: ProviderInfo,
  given: Partial<Connection> = {},
  baseUrlEnv: string = info.baseUrlEnv
) =>
  Effect.gen(function* () {
    let apiKey = given.apiKey
    for (const name of info.keyEnv) {
      if (apiKey !== undefined) break
      apiKey = Option.getOrUndefined(yield* Config.Redacted(name).pipe(Config.option))
    }
    const baseURL = given.baseURL ?? Option.getOrUndefined(yield* Config.String(baseUrlEnv).pipe(Config.option))
    if (apiKey === undefined && info.keyRequired) {
      return yield* new Errors.InvalidRequest({
        field: info.keyEnv[0]!,
        given: "not set",
        allowed: `an API key for ${info.id} (${info.keyEnv.join(" or ")})`,
        fix: `Set it (export ${info.keyEnv[0]}=...), or run with --offline to use the embedded emulator.`
      })
    }
    return { apiKey, baseURL } satisfies Connection
  })

type Factory = (settings: Record<string, unknown>) => {
  readonly videoModel?: (id: string) => unknown
  readonly video?: (id: string) => unknown
  readonly languageModel?: (id: string) => unknown
  readonly imageModel?: (id: string) => unknown
  readonly image?: (id: string) => unknown
}

/** Imports the provider package, or says how to install it. */
export const load = (info: ProviderInfo): Effect.Effect<Factory, Errors.MissingDependency> =>
  Effect.tryPromise({
    try: async () => {
      const module = (await import(info.packageName)) as Record<string, unknown>
      const factory = module[info.factory]
      if (typeof factory !== "function") throw new Error(`${info.packageName} has no ${info.factory} export`)
      return factory as Factory
    },
    catch: (cause) =>
      new Errors.MissingDependency({
        dependency: info.packageName,
        detail: /Cannot find (package|module)/i.test(String(cause))
          ? `the package is not installed, and ${info.id}: models need it`
          : `it could not be loaded (${String(cause).slice(0, 200)})`,
        fix: `Install it next to LongSora: npm install ${info.packageName} (or pnpm add ${info.packageName}).`
      })
  })

/**
 * The package's provider instance for a connection (its own settings: apiKey, baseURL, fetch).
 * `for: "images"`: the connection is the image endpoint's, always given as `baseURL`.
 */
export const instantiate = (
  info: ProviderInfo,
  factory: Factory,
  connection: Connection,
  probe: Probe,
  options: { readonly for: "video" | "images" } = { for: "video" }
) =>
  factory({
    ...(connection.apiKey ? { apiKey: Redacted.value(connection.apiKey) } : {}),
    // fal's video model ignores baseURL; its fixed origins are rewritten by the fetch instead.
    ...(connection.baseURL && (options.for === "images" || info.fixedOrigins.length === 0)
      ? { baseURL: connection.baseURL }
      : {}),
    fetch: makeFetch(info, connection, probe)
  })

/** What a run asks of a provider: its video models, or its language models too (planning). */
export type Use = "video" | "language"

const emulates = (info: ProviderInfo, use: Use) =>
  info.emulatorPath !== undefined && (use === "video" || (info.language && !info.emulatesVideoOnly))

/**
 * Settings that point a provider at an emulator running at `origin` (e.g. `http://127.0.0.1:4010`), for its video
 * models or (`use: "language"`) its language models too.
 */
export const emulatorConnection = (
  info: ProviderInfo,
  origin: string,
  apiKey: string,
  use: Use = "video"
): Effect.Effect<Connection, Errors.InvalidRequest> => {
  const kind = use === "video" ? "models" : "language models"
  return emulates(info, use)
    ? Effect.succeed({ apiKey: Redacted.make(apiKey), baseURL: `${origin.replace(/\/$/, "")}${info.emulatorPath}` })
    : Effect.fail(
        new Errors.InvalidRequest({
          field: "--offline",
          given: `${info.id}: ${kind}`,
          allowed: `${kind} of providers the emulator speaks: ${providers
            .filter((p) => emulates(p, use))
            .map((p) => p.id)
            .join(", ")}`,
          fix: `Run ${info.id}: ${kind} online (set ${info.keyEnv[0] ?? "its credentials"}), or pick an emulated provider.`
        })
      )
}

/**
 * Settings that point a provider's image models at an emulator running at `origin`: give them to
 * `AiSdkKeyframeGenerator.layer({ connections })` for an offline run.
 */
export const emulatorImageConnection = (
  info: ProviderInfo,
  origin: string,
  apiKey: string
): Effect.Effect<Connection, Errors.InvalidRequest> =>
  info.images === undefined
    ? Effect.fail(
        new Errors.InvalidRequest({
          field: "--offline",
          given: `${info.id}: image models`,
          allowed: `image models of providers the emulator speaks: ${providers
            .filter((p) => p.images !== undefined)
            .map((p) => p.id)
            .join(", ")}`,
          fix: `Run ${info.id}: image models online (set ${info.keyEnv[0] ?? "its credentials"}), or pick an emulated provider.`
        })
      )
    : Effect.succeed({
        apiKey: Redacted.make(apiKey),
        baseURL: `${origin.replace(/\/$/, "")}${info.images.emulatorPath}`
      })
