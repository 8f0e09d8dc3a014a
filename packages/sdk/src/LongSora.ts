/**
 * The Effect API: the orchestration program and the layers that run it with ffmpeg and, per model
 * id, the AI SDK (provider-prefixed ids: `google:veo-3.1-generate-preview`, `fal:…`,
 * `--plan-model google:gemini-2.5-flash`) or the OpenAI protocol (bare ids: `sora-2`, `gpt-5`, any
 * gateway model). Swap the planner or the provider by passing your own layer.
 */
// Deep import: the barrel would also load the Redis client (hundreds of modules) at start-up.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { AiSdkKeyframeGenerator, AiSdkPlanner, AiSdkSegmentGenerator, Routing } from "@longsora/ai-sdk"
import {
  type Anchor,
  type AudioSeam,
  type Capabilities,
  type Combiner,
  type Drift,
  type FrameExtractor,
  type KeyframeGenerator,
  LongVideo,
  type LongVideoRequest,
  type Planner,
  Regenerate,
  type SegmentGenerator
} from "@longsora/core"
import { FfmpegServices } from "@longsora/ffmpeg-combiner"
import { OpenAiClient } from "@longsora/openai-client"
import { OpenAiPlanner } from "@longsora/planner"
import { type ImageModels, OpenAiKeyframeGenerator, SoraSegmentGenerator } from "@longsora/sora-provider"
import { type Config, type FileSystem, Layer, type Path, Redacted } from "effect"
import OpenAI from "openai"
import * as ImageModel from "./ImageModel.ts"

export type Services =
  | Planner.Planner
  | SegmentGenerator.SegmentGenerator
  | FrameExtractor.FrameExtractor
  | Combiner.Combiner
  | FileSystem.FileSystem
  | Path.Path

export interface Options {
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** An OpenAI-compatible endpoint, e.g. a gateway or `http://127.0.0.1:PORT/v1` for the emulator. */
  readonly baseURL?: string | undefined
  readonly organization?: string | undefined
  readonly project?: string | undefined
  readonly timeoutMs?: number | undefined
  /** Capabilities of models your endpoint serves beyond Sora 2 (clip lengths, sizes, prices). */
  readonly models?: ReadonlyArray<Capabilities.ProviderCapabilities> | undefined
  readonly reasoningEffort?: OpenAiPlanner.ReasoningEffort | undefined
  /** How the provider polls jobs, e.g. `{ expectedRenderMs: (seconds) => … }` for a known render speed. */
  readonly polling?: SoraSegmentGenerator.Options["polling"]
  /** Use this planner instead of the OpenAI Responses planner. */
  readonly planner?: Layer.Layer<Planner.Planner> | undefined
  /** Use this provider instead of the routing one (AI SDK for prefixed ids, Sora protocol for bare ones). */
  readonly generator?: Layer.Layer<SegmentGenerator.SegmentGenerator> | undefined
  /** AI SDK video model objects by the id requests use (see `ModelObjects.videoModelId`). */
  readonly videoModels?: AiSdkSegmentGenerator.Options["videoModels"]
  /** AI SDK language model objects by the id requests use as `planModel`. */
  readonly languageModels?: AiSdkPlanner.Options["languageModels"]
  /**
   * AI SDK providers: key and base URL per provider id (else their env vars), models beyond the
   * built-in table.
   */
  readonly aiSdk?:
    | (Pick<AiSdkSegmentGenerator.Options, "connections" | "models"> & {
        /** Key and base URL of each provider's image endpoint (else their env vars; see `AiSdkKeyframeGenerator`). */
        readonly imageConnections?: AiSdkKeyframeGenerator.Options["connections"]
        /** AI SDK image models beyond the built-in table, or overriding its prices. */
        readonly imageModels?: AiSdkKeyframeGenerator.Options["models"]
      })
    | undefined
  /**
   * The image model that renders keyframes (`chain: keyframes`): an OpenAI Images model on this
   * connection (default `gpt-image-1.5`), or a provider-prefixed AI SDK image model
   * (`google:gemini-2.5-flash-image`, `fal:flux-pro/kontext`).
   */
  readonly imageModel?: string | undefined
  /** Image models beyond the built-in table, or overriding its prices. */
  readonly imageModels?: ReadonlyArray<ImageModels.ImageModelEntry> | undefined
  /** Use this keyframe generator instead of the OpenAI Images one. */
  readonly keyframes?: Layer.Layer<KeyframeGenerator.KeyframeGenerator> | undefined
}

const aiSdkOptions = (options: Options) => ({
  ...options.aiSdk,
  videoModels: options.videoModels,
  polling: options.polling
})

/** The routing generator: AI SDK models by prefixed id, `openAiProtocol` for the rest. */
const routedGenerator = <E, R>(
  options: Options,
  openAiProtocol: Layer.Layer<SegmentGenerator.SegmentGenerator, E, R>,
  fromEnv: boolean
) =>
  options.generator ??
  Routing.generator(
    fromEnv
      ? AiSdkSegmentGenerator.layerConfig(aiSdkOptions(options))
      : AiSdkSegmentGenerator.layer(aiSdkOptions(options)),
    openAiProtocol
  )

const routedPlanner = <E, R>(options: Options, openAiProtocol: Layer.Layer<Planner.Planner, E, R>) =>
  options.planner ??
  Routing.planner(
    AiSdkPlanner.layer({ languageModels: options.languageModels, connections: options.aiSdk?.connections }),
    openAiProtocol
  )

/** ffmpeg and the file system: what every run needs whatever the planner and provider. */
export const layerLocal: Layer.Layer<
  | FrameExtractor.FrameExtractor
  | Combiner.Combiner
  | Anchor.AnchorPicker
  | Drift.DriftMeter
  | AudioSeam.AudioBlender
  | FileSystem.FileSystem
  | Path.Path,
  Config.ConfigError
> = Layer.merge(FfmpegServices.layerConfig(), NodeServices.layer)

const withLocal = <E>(remote: Layer.Layer<Planner.Planner | SegmentGenerator.SegmentGenerator, E>) =>
  Layer.mergeAll(remote, layerLocal)

/** The keyframe generator (optional; see `ImageModel`): the one given, else the one `imageModel` names. */
const keyframes = <E, R>(
  options: Options,
  openAiImages: (model: string) => Layer.Layer<KeyframeGenerator.KeyframeGenerator, E, R>
) =>
  options.keyframes ??
  ImageModel.layer(options.imageModel, openAiImages, (model) =>
    AiSdkKeyframeGenerator.layer({
      model,
      models: options.aiSdk?.imageModels,
      connections: options.aiSdk?.imageConnections
    })
  )

/**
 * Every service over one `openai` client you already have (its key, base URL, organisation and
 * project are used; its retries are turned off because the provider must decide what is safe to retry).
 */
export const layerFromClient = (client: OpenAI, options: Omit<Options, keyof ClientSettings> = {}) => {
  const quiet = client.withOptions({ maxRetries: 0 })
  const shared = OpenAiClient.fromClient(quiet, Redacted.make(quiet.apiKey ?? ""))
  const planner = routedPlanner(
    options,
    OpenAiPlanner.layerWithClient({ reasoningEffort: options.reasoningEffort }).pipe(Layer.provide(shared))
  )
  const generator = routedGenerator(
    options,
    SoraSegmentGenerator.layerWithClient({ models: options.models, polling: options.polling }).pipe(
      Layer.provide(shared)
    ),
    false
  )
  const images = keyframes(options, (model) =>
    OpenAiKeyframeGenerator.layerWithClient({ model, models: options.imageModels }).pipe(Layer.provide(shared))
  )
  return Layer.merge(withLocal(Layer.mergeAll(planner, generator)), images)
}

type ClientSettings = Pick<Options, "apiKey" | "baseURL" | "organization" | "project" | "timeoutMs">

/** Every service from explicit settings. */
export const layer = (options: Options & { readonly apiKey: string | Redacted.Redacted<string> }) => {
  const apiKey = Redacted.isRedacted(options.apiKey) ? options.apiKey : Redacted.make(options.apiKey)
  const client = new OpenAI({
    apiKey: Redacted.value(apiKey),
    maxRetries: 0,
    baseURL: options.baseURL ?? null,
    organization: options.organization ?? null,
    project: options.project ?? null,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs })
  })
  return layerFromClient(client, options)
}

/**
 * Every service configured from the environment: the OpenAI protocol the way `openai` users expect
 * (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`), each AI SDK provider
 * from its own (`GOOGLE_GENERATIVE_AI_API_KEY`, `FAL_KEY`, …), plus `LONGSORA_VIDEO_MODELS`, …;
 * `options` override what is read.
 */
export const layerConfig = (options: Options = {}) => {
  const settings = {
    ...(options.apiKey === undefined
      ? {}
      : { apiKey: Redacted.isRedacted(options.apiKey) ? options.apiKey : Redacted.make(options.apiKey) }),
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    ...(options.organization === undefined ? {} : { organization: options.organization }),
    ...(options.project === undefined ? {} : { project: options.project }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
  }
  // The OpenAI protocol needs OPENAI_API_KEY only when a bare model id is used.
  const planner = routedPlanner(
    options,
    OpenAiPlanner.layerConfig({ ...settings, reasoningEffort: options.reasoningEffort })
  )
  const generator = routedGenerator(
    options,
    SoraSegmentGenerator.layerConfig({ ...settings, models: options.models, polling: options.polling }),
    true
  )
  const images = keyframes(options, (model) =>
    OpenAiKeyframeGenerator.layerConfig({ ...settings, model, models: options.imageModels })
  )
  return Layer.merge(withLocal(Layer.mergeAll(planner, generator)), images)
}

/** The program: validate, plan, generate every segment, join. Provide one of the layers above. */
export const generate = (request: LongVideoRequest.LongVideoRequest) => LongVideo.generate(request)

/** Makes segment `segment` of a finished run again (chained: and the ones after it) and joins again. */
export const regenerate = (request: Regenerate.RegenerateRequest) => Regenerate.regenerate(request)

/** What `regenerate` would create and its estimated cost; creates nothing. */
export const regeneratePreview = (request: Regenerate.RegenerateRequest) => Regenerate.preview(request)
