/**
 * Which services a command runs on: the real planner and provider pointed at OpenAI (or a gateway)
 * for bare model ids, at the AI SDK provider package for prefixed ones (`google:…`, `fal:…`), or,
 * with `--offline`, at an emulator started in-process on a free loopback port that speaks each of
 * those protocols — the same code path, with no network and no key. The offline emulator keeps its
 * jobs in the output directory (`.longsora/emulator`), so a rerun after Ctrl-C or a crash resumes
 * them instead of meeting a 404.
 */
import { Providers } from "@longsora/ai-sdk"
import { Capabilities, Errors, Manifest, Planner } from "@longsora/core"
import type { Emulator } from "@longsora/emulator"
import { LongSora } from "@longsora/sdk"
import { Config, Effect, Layer, Option, type Path } from "effect"

export interface Target {
  readonly offline: boolean
  /** A dry run needs no key: without one it shows the split and the cost, and says why there is no plan. */
  readonly dryRun?: boolean
  readonly baseUrl: Option.Option<string>
  /** Gateway models declared with `--clip-seconds`. */
  readonly models: ReadonlyArray<Capabilities.ProviderCapabilities>
  /**
   * With `offline`: where the embedded emulator keeps its jobs and renders, so a rerun after a crash
   * finds the jobs the killed run created (default: a temp dir removed on exit).
   */
  readonly emulatorDataDir?: string | undefined
  /** The video and planning models, to know which protocols the run needs. */
  readonly model?: string | undefined
  readonly planModel?: string | undefined
  /**
   * The run's models are not known up front (`serve`: each job names its own): offline, every
   * provider the emulator speaks is connected.
   */
  readonly anyModel?: boolean | undefined
  /** The image model of `--chain keyframes` (`--image-model`). */
  readonly imageModel?: string | undefined
}

/** The offline emulator's jobs live beside the run's manifest, so a rerun of the command finds them. */
export const emulatorDataDir = (path: Path.Path, output: string): string =>
  path.join(path.resolve(output), Manifest.directoryName, "emulator")

/**
 * The AI SDK providers a run uses (by its prefixed model ids) and for what, or may use (`anyModel`: the ones the
 * emulator speaks, for their video models).
 */
const aiSdkProviders = (target: Target): ReadonlyArray<readonly [Providers.ProviderInfo, Providers.Use]> =>
  target.anyModel
    ? Providers.providers.filter((info) => info.emulatorPath !== undefined).map((info) => [info, "video"] as const)
    : (
        [
          [target.model, "video"],
          [target.planModel, "language"]
        ] as const
      ).flatMap(([id, use]) => {
        const ref = id === undefined ? undefined : Providers.parseModelId(id)
        return ref ? [[ref.provider, use] as const] : []
      })

/** Every emulated AI SDK provider the run uses, pointed at the emulator. */
const emulatorConnections = (target: Target, baseURL: string, apiKey: string) =>
  Effect.forEach(aiSdkProviders(target), ([info, use]) =>
    Effect.map(
      Providers.emulatorConnection(info, new URL(baseURL).origin, apiKey, use),
      (connection) => [info.id, connection] as const
    )
  ).pipe(Effect.map((entries) => Object.fromEntries(entries)))

/** The emulated image endpoint of a prefixed `--image-model` (none for an OpenAI Images one). */
const emulatorImageConnections = (target: Target, baseURL: string, apiKey: string) => {
  const ref = target.imageModel === undefined ? undefined : Providers.parseModelId(target.imageModel)
  if (ref === undefined) return Effect.succeed({})
  return Effect.map(Providers.emulatorImageConnection(ref.provider, new URL(baseURL).origin, apiKey), (connection) => ({
    [ref.provider.id]: connection
  }))
}

/** The emulator's table entry for a declared model, so offline runs accept it too. */
const emulatorModel = (capabilities: Capabilities.ProviderCapabilities) => ({
  seconds: Capabilities.clipLengthValues(capabilities.clipLengths).map(String),
  sizes: capabilities.sizes.map((s) => s.size)
})

const missingKey = new Errors.InvalidRequest({
  field: "OPENAI_API_KEY",
  given: "not set",
  allowed: "an API key for OpenAI or your OpenAI-compatible gateway",
  fix: "Set it (export OPENAI_API_KEY=sk-...), or run with --offline to use the embedded emulator."
})

/** Capabilities need no key; planning does, so the planner says so instead of calling out. */
const keylessPreview = (target: Target) =>
  LongSora.layer({
    // Never sent: a preview only reads the provider's capabilities.
    apiKey: "no-key",
    models: target.models,
    imageModel: target.imageModel,
    planner: Layer.succeed(
      Planner.Planner,
      Planner.Planner.of({
        plan: () =>
          Effect.fail(
            new Errors.PlannerError({ reason: "OPENAI_API_KEY is not set (or use --offline to plan on the emulator)" })
          )
      })
    )
  })

/** The services on an emulator started in this process, speaking every protocol the run uses. */
const offlineLayer = (target: Target, emulator: typeof Emulator) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const server = yield* emulator.EmulatorServer
      const connections = yield* emulatorConnections(target, server.baseURL, server.apiKey)
      const imageConnections = yield* emulatorImageConnections(target, server.baseURL, server.apiKey)
      return LongSora.layer({
        apiKey: server.apiKey,
        baseURL: server.baseURL,
        models: target.models,
        imageModel: target.imageModel,
        aiSdk: { connections, imageConnections, models: target.models }
      })
    })
  ).pipe(
    Layer.provide(
      emulator.layer({
        models: Object.fromEntries(target.models.map((model) => [model.model, emulatorModel(model)])),
        ...(target.emulatorDataDir === undefined ? {} : { dataDir: target.emulatorDataDir })
      })
    )
  )

export const layer = (
  target: Target
): Layer.Layer<LongSora.Services, Errors.InvalidRequest | Config.ConfigError | Emulator.EmulatorStartError> => {
  if (target.offline) {
    // The emulator (and its multipart parser) is loaded only for offline runs.
    return Layer.unwrap(
      Effect.map(
        Effect.promise(() => import("@longsora/emulator")),
        ({ Emulator }) => offlineLayer(target, Emulator)
      )
    )
  }
  return Layer.unwrap(
    Effect.gen(function* () {
      const key = yield* Config.Redacted("OPENAI_API_KEY").pipe(Config.option)
      // Only bare ids speak the OpenAI protocol; a run of prefixed ids needs their providers' keys.
      const bare = [target.model, target.planModel].filter((id) => id === undefined || !Providers.isAiSdkModel(id))
      if (Option.isNone(key) && bare.length > 0 && target.dryRun) return keylessPreview(target)
      if (Option.isNone(key) && bare.length === 2) return yield* missingKey
      return LongSora.layerConfig({
        ...(Option.isSome(key) ? { apiKey: key.value } : {}),
        models: target.models,
        imageModel: target.imageModel,
        aiSdk: { models: target.models },
        ...(Option.isSome(target.baseUrl) ? { baseURL: target.baseUrl.value } : {})
      })
    })
  )
}
