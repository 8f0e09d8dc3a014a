/**
 * The video model object behind an id: one you passed (`videoModels`), or the provider package's,
 * imported on first use with its key and base URL (from `connections`, else its env vars) and a
 * fetch that can reach the emulator and report HTTP statuses. Resolved models are cached; the keys
 * read are kept (redacted) so every text the generator builds can be scrubbed of them.
 */
import type {
  Experimental_VideoModelV3 as VideoModelV3,
  Experimental_VideoModelV4 as VideoModelV4
} from "@ai-sdk/provider"
import { Errors } from "@longsora/core"
import { Effect, Redacted } from "effect"
import * as Providers from "./Providers.ts"
import * as VideoModels from "./VideoModels.ts"

/** Any AI SDK video model: V4 (start/status, resumable) or V3 (`doGenerate`, in-process only). */
export type VideoModel = VideoModelV4 | VideoModelV3

export interface Resolved {
  readonly model: VideoModel
  /** The fetch that reaches the provider (for result URLs); plain `fetch` for your own model objects. */
  readonly fetch: typeof fetch
  readonly probe: Providers.Probe | undefined
  readonly providerKey: string
  /**
   * For the provider package's models (not your own objects): its connection and the package's model
   * id, for calls the package cannot make itself (Veo's extension).
   */
  readonly direct?: { readonly connection: Providers.Connection; readonly modelId: string; readonly baseURL: string }
}

export interface ResolverOptions {
  readonly videoModels?: Readonly<Record<string, VideoModel>> | undefined
  readonly connections?: Readonly<Record<string, Partial<Providers.Connection>>> | undefined
}

export const make = (options: ResolverOptions) => {
  const secrets = new Set<Redacted.Redacted<string>>()
  const resolved = new Map<string, Resolved>()

  /** The model object for an id: yours, or the provider package's (imported on first use). */
  const resolve = (segment: number, id: string): Effect.Effect<Resolved, Errors.GenerationError> => {
    const cached = resolved.get(id)
    if (cached) return Effect.succeed(cached)
    const own = options.videoModels?.[id]
    if (own) {
      const mine: Resolved = {
        model: own,
        fetch: globalThis.fetch,
        probe: undefined,
        providerKey: own.provider.split(".")[0]!
      }
      resolved.set(id, mine)
      return Effect.succeed(mine)
    }
    const ref = Providers.parseModelId(VideoModels.normalizeId(id))
    if (!ref?.provider.video) {
      return Effect.fail(
        new Errors.GenerationError({
          segment,
          kind: "rejected",
          reason: `"${id}" names no AI SDK video model`,
          fix: `Use a provider-prefixed id (${Providers.providers
            .filter((p) => p.video)
            .map((p) => `${p.id}:`)
            .join(", ")}), or pass the model object in videoModels.`
        })
      )
    }
    return Effect.gen(function* () {
      const connection = yield* Providers.connectionConfig(ref.provider, options.connections?.[ref.provider.id])
      if (connection.apiKey) secrets.add(connection.apiKey)
      const factory = yield* Providers.load(ref.provider)
      const probe: Providers.Probe = new Map()
      const instance = Providers.instantiate(ref.provider, factory, connection, probe)
      const make = instance.videoModel ?? instance.video
      if (!make) {
        return yield* new Errors.MissingDependency({
          dependency: ref.provider.packageName,
          detail: "this version has no video models",
          fix: `Install a newer one: npm install ${ref.provider.packageName}@latest.`
        })
      }
      const model = make.call(instance, ref.modelId) as VideoModel
      const fetchFn = Providers.makeFetch(ref.provider, connection, new Map())
      const entry: Resolved = {
        model,
        fetch: fetchFn,
        probe,
        providerKey: ref.provider.id,
        direct: { connection, modelId: ref.modelId, baseURL: connection.baseURL ?? ref.provider.defaultBaseURL }
      }
      resolved.set(id, entry)
      return entry
    }).pipe(
      Effect.catch((error) =>
        Effect.fail(
          new Errors.GenerationError({
            segment,
            kind: "rejected",
            reason: error.message,
            ...("fix" in error ? { fix: error.fix } : {}),
            cause: error
          })
        )
      )
    )
  }

  /** The keys read so far, for scrubbing. */
  const keys = (): ReadonlyArray<string> => [...secrets].map(Redacted.value)

  return { resolve, keys } as const
}
