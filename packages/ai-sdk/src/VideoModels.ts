/**
 * What each AI SDK video model accepts, as core `ProviderCapabilities` keyed by the provider-prefixed
 * id (`google:veo-3.1-generate-preview`, `fal:kling-video/v2.1/pro/image-to-video`), with a source
 * for every number (`sources`; keys as in `video-gateways.md`, `[UNVERIFIED]` where no vendor page
 * backs it). Prices move: a user overrides or adds entries through `layer({ models })`, a JSON file
 * (`LONGSORA_VIDEO_MODELS_FILE`) or an env var (`LONGSORA_VIDEO_MODELS`).
 */
import { readFileSync } from "node:fs"
import { Capabilities, Errors } from "@longsora/core"
import { Config, Effect, Option, Schema } from "effect"

type ProviderCapabilities = Capabilities.ProviderCapabilities

/**
 * How a provider package wants the length and resolution where its own mapping does not fit the
 * model (fal's package sends `duration: "5s"` and no resolution; Kling's app takes `"5"`).
 */
export const WireHints = Schema.Struct({
  /** Send `providerOptions[provider].duration` as `"5"` (`string`) or `5` (`number`). */
  duration: Schema.optionalKey(Schema.Literals(["string", "number"])),
  /** Send `providerOptions[provider].resolution` as `720p` (`height-p`) or `768P` (`height-P`): the shorter side. */
  resolution: Schema.optionalKey(Schema.Literals(["height-p", "height-P"])),
  /**
   * Send the last frame (`chain: keyframes`) as a data URL in `providerOptions[provider][field]`,
   * for packages that map no `frameImages` last frame (fal's: Kling's `tail_image_url`, Seedance's
   * and Hailuo's `end_image_url`). Without it the last frame goes as `frameImages` (Google's Veo).
   */
  lastFrame: Schema.optionalKey(Schema.Literals(["tail_image_url", "end_image_url"])),
  /** How an extension (`chain: extend`) is sent: `veo-gemini`, Veo's `instances[0].video` over the Gemini API (VeoExtension). */
  extension: Schema.optionalKey(Schema.Literals(["veo-gemini"]))
})
export type WireHints = typeof WireHints.Type

/** A model entry: core's capabilities plus how to phrase the request for its provider package. */
export const ModelEntry = Schema.Struct({
  ...Capabilities.ProviderCapabilities.fields,
  wire: Schema.optionalKey(WireHints)
})
export type ModelEntry = typeof ModelEntry.Type

const set = (...seconds: [number, ...Array<number>]): Capabilities.ClipLengths => ({ _tag: "ClipLengthSet", seconds })
const range = (min: number, max: number): Capabilities.ClipLengths => ({ _tag: "ClipLengthRange", min, max, step: 1 })

const landscapeAndPortrait = (usdPerSecond: number): ModelEntry["sizes"] => [
  { size: "1280x720", usdPerSecond },
  { size: "720x1280", usdPerSecond }
]

const veo = (model: string, usdPerSecond: number, surface: "gemini" | "vertex", priceSource: string): ModelEntry => ({
  model,
  clipLengths: set(4, 6, 8),
  // 1080p and 4k exist but reportedly need 8 s clips [UNVERIFIED]; declare them to use them.
  sizes: landscapeAndPortrait(usdPerSecond),
  firstFrameImage: true,
  firstFrame: "exact",
  lastFrameImage: true,
  audio: surface === "gemini" ? "always" : "optional",
  maxPromptLength: 4_000,
  maxConcurrentJobs: 10,
  // Over the Gemini API only: Vertex extends from a GCS video (1–30 s in, 37 s at most), not wired here.
  ...(surface === "gemini"
    ? {
        extension: { clipLengths: set(7), maxExtensions: 20, maxTotalSeconds: 148, returns: "stitched" as const },
        wire: { extension: "veo-gemini" as const }
      }
    : {}),
  sources: {
    ...(surface === "gemini"
      ? {
          extension:
            "video-gateways.md (GENAI generate_videos_extension.ts: source.video, a Veo output, sent as instances[0].video.uri); " +
            "[3P] help.apiyi.com Veo 3.1 extend guide: +7 s a step, at most 20, 148 s in all, one stitched video, 720p out"
        }
      : {}),
    clipLengths: "Vercel AI Gateway page for veo-3.1-generate-001; GCP Veo docs (4, 6, 8 s)",
    sizes: "GENAI types.ts (16:9, 9:16); GAI-GUIDE (720p, 1080p, 4k)",
    usdPerSecond: priceSource,
    firstFrame: "GENAI generateVideos image-to-video: the image is the starting frame",
    lastFrameImage: "GENAI config.lastFrame (image-to-video only)",
    audio:
      surface === "gemini"
        ? "GENAI converters: the Gemini API rejects generateAudio; audio is always on"
        : "GENAI converters: generateAudio is a Vertex option",
    maxPromptLength: "[UNVERIFIED] about 1,024 tokens; 4,000 characters assumed",
    maxConcurrentJobs: "[3P] 10 concurrent jobs per project"
  }
})

const fal = (
  model: string,
  facts: Omit<ModelEntry, "model" | "maxConcurrentJobs" | "sources"> & {
    readonly sources: Record<string, string>
  }
): ModelEntry => ({
  model: `fal:${model}`,
  maxConcurrentJobs: 2,
  // fal's apps are one per mode; these image-to-video ones require image_url.
  imageRequired: true,
  ...facts,
  sources: {
    maxConcurrentJobs: "[UNVERIFIED] fal queues per key; 2 at once assumed",
    imageRequired: "fal model pages: image_url is a required input of the image-to-video apps",
    ...facts.sources
  }
})

const conditioning = "[UNVERIFIED] no vendor page says the clip opens exactly on the image: treated as conditioning"

/** The built-in table. */
export const builtIn: ReadonlyArray<ModelEntry> = [
  veo("google:veo-3.1-generate-preview", 0.4, "gemini", "[3P] aifreeapi, checked Mar 2026: $0.40/s"),
  veo("google:veo-3.1-fast-generate-preview", 0.15, "gemini", "[3P] aifreeapi, checked Mar 2026: $0.15/s"),
  veo("vertex:veo-3.1-generate-001", 0.4, "vertex", "[3P] aifreeapi, checked Mar 2026: $0.40/s"),
  veo("vertex:veo-3.1-fast-generate-001", 0.15, "vertex", "[3P] aifreeapi, checked Mar 2026: $0.15/s"),
  fal("kling-video/v2.1/pro/image-to-video", {
    clipLengths: set(5, 10),
    sizes: [
      { size: "1920x1080", usdPerSecond: 0.098 },
      { size: "1080x1920", usdPerSecond: 0.098 }
    ],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "none",
    maxPromptLength: 2_500,
    wire: { duration: "string" },
    sources: {
      clipLengths: 'KLING official doc: duration "5" or "10"; LL-FAL sends it as a string',
      sizes: "[3P] pro mode = 1080p; KLING: image-to-video follows the image",
      usdPerSecond: "fal.ai model page: Kling 2.1 pro $0.098/s",
      firstFrame: conditioning,
      lastFrameImage: "KLING image_tail exists, but @ai-sdk/fal sends no last frame",
      audio: "KLING: 2.x makes no audio",
      maxPromptLength: "KLING official doc: prompt up to 2,500 characters"
    }
  }),
  fal("wan-25-preview/image-to-video", {
    clipLengths: set(5, 10),
    sizes: [
      { size: "1280x720", usdPerSecond: 0.085 },
      { size: "1920x1080", usdPerSecond: 0.14 },
      { size: "854x480", usdPerSecond: 0.042 }
    ],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "optional",
    maxPromptLength: 800,
    wire: { duration: "string", resolution: "height-p" },
    sources: {
      clipLengths: 'fal model page (input schema) for fal-ai/wan-25-preview/image-to-video: duration "5" or "10"',
      sizes: "fal model page: resolution 480p/720p/1080p; the aspect follows the image",
      usdPerSecond:
        "ALI official list via [3P] crazyrouter: Wan 2.5 ¥0.30/¥0.60/¥1.00 per s (480/720/1080P) at ¥7.1/$; fal's own price [UNVERIFIED]",
      firstFrame: conditioning,
      lastFrameImage: "ALI: Wan 2.5 i2v has no last frame (wan2.2-kf2v-flash does)",
      audio: "ALI: auto dubbing or audio_url (2.5, 2.6)",
      maxPromptLength: "COMFY Wan 2.5 node: prompt up to 800 characters [UNVERIFIED for fal]"
    }
  }),
  fal("bytedance/seedance/v1.5/pro/image-to-video", {
    clipLengths: range(4, 12),
    sizes: [
      { size: "1280x720", usdPerSecond: 0.062 },
      { size: "720x1280", usdPerSecond: 0.062 },
      { size: "1920x1080", usdPerSecond: 0.124 }
    ],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "optional",
    maxPromptLength: 2_000,
    wire: { duration: "string", resolution: "height-p" },
    sources: {
      clipLengths: 'fal model page (input schema): duration "4"…"12"',
      sizes: "fal model page: resolution 480p/720p/1080p, aspect_ratio 16:9, 9:16, …",
      usdPerSecond: "[UNVERIFIED] not in the reference; ~$0.31 per 5 s at 720p assumed — override it",
      firstFrame: conditioning,
      lastFrameImage: "fal has end_image_url, but @ai-sdk/fal sends no last frame",
      audio: "LL-BYTEPLUS docstring: generate_audio from 1.5 pro on",
      maxPromptLength: "[UNVERIFIED] 2,000 characters assumed"
    }
  }),
  fal("minimax/hailuo-02/standard/image-to-video", {
    clipLengths: set(6, 10),
    sizes: [{ size: "1366x768", usdPerSecond: 0.045 }],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "none",
    maxPromptLength: 2_000,
    wire: { duration: "string", resolution: "height-P" },
    sources: {
      clipLengths: "COMFY MiniMax node; MMX: 6 or 10 s",
      sizes: "COMFY: 768P = 1366x768 (1080P is probably 6 s only [UNVERIFIED])",
      usdPerSecond: "[3P] muapi: $0.15–0.60 per request; $0.27 per 6 s at 768P assumed",
      firstFrame: conditioning,
      lastFrameImage: "MMX has start/end frames, but @ai-sdk/fal sends no last frame",
      audio: "[UNVERIFIED] none",
      maxPromptLength: "[UNVERIFIED] 2,000 characters assumed"
    }
  }),
  {
    model: "xai:grok-imagine-video",
    clipLengths: range(1, 15),
    sizes: [
      { size: "1280x720", usdPerSecond: 0.089 },
      { size: "720x1280", usdPerSecond: 0.089 },
      { size: "854x480", usdPerSecond: 0.05 }
    ],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "always",
    maxPromptLength: 4_000,
    maxConcurrentJobs: 2,
    // @ai-sdk/xai maps only landscape sizes to a resolution: 720x1280 would go without one, at xAI's default.
    wire: { resolution: "height-p" },
    sources: {
      clipLengths: "[3P] docs.apiyi.com (official xAI channel) and proxyapi.ru: 1–15 s",
      sizes: "[3P] docs.apiyi.com: 480p / 720p; @ai-sdk/xai maps 1280x720 → 720p, 854x480 → 480p",
      usdPerSecond: "[3P] docs.apiyi.com: $0.05/s at 480p (xAI's price); docs.venice.ai: $0.89 per 10 s at 720p",
      firstFrame: conditioning,
      lastFrameImage: "@ai-sdk/xai maps no last frame",
      audio: "[3P] docs.apiyi.com: every clip has a soundtrack",
      maxPromptLength: "[UNVERIFIED] 4,000 characters assumed",
      maxConcurrentJobs: "[UNVERIFIED] 2 assumed"
    }
  },
  {
    model: "xai:grok-imagine-video-1.5",
    clipLengths: range(1, 15),
    sizes: [
      { size: "1280x720", usdPerSecond: 0.14 },
      { size: "720x1280", usdPerSecond: 0.14 },
      { size: "1920x1080", usdPerSecond: 0.25 },
      { size: "854x480", usdPerSecond: 0.08 }
    ],
    firstFrameImage: true,
    firstFrame: "conditioning",
    lastFrameImage: false,
    audio: "always",
    maxPromptLength: 4_000,
    maxConcurrentJobs: 2,
    // @ai-sdk/xai maps only landscape sizes to a resolution: 720x1280 would go without one, at xAI's default.
    wire: { resolution: "height-p" },
    sources: {
      clipLengths: "[3P] inference.sh xai/grok-imagine-video-1-5: 1–15 s",
      sizes: "[3P] inference.sh: 480p, 720p, 1080p",
      usdPerSecond: "[3P] inference.sh: $0.08/s 480p, $0.14/s 720p, $0.25/s 1080p",
      firstFrame: conditioning,
      audio: "[3P] inference.sh: generated audio",
      maxPromptLength: "[UNVERIFIED] 4,000 characters assumed",
      maxConcurrentJobs: "[UNVERIFIED] 2 assumed"
    }
  }
]

/** `fal:fal-ai/x` and `fal:x` name the same app (the fal package strips `fal-ai/`). */
export const normalizeId = (model: string): string => model.replace(/^fal:(fal-ai|fal)\//, "fal:")

/** The model table: declared entries override built-ins of the same id. */
export const table = (declared: ReadonlyArray<ModelEntry> = []): ReadonlyMap<string, ModelEntry> => {
  const map = new Map<string, ModelEntry>()
  for (const entry of [...builtIn, ...declared])
    map.set(normalizeId(entry.model), { ...entry, model: normalizeId(entry.model) })
  return map
}

/** How to declare a model the table lacks; said by every "unknown model" error. */
export const declareHint =
  'declare it: LONGSORA_VIDEO_MODELS=\'[{"model":"fal:<app>","clipLengths":{"_tag":"ClipLengthSet","seconds":[5,10]},' +
  '"sizes":[{"size":"1280x720","usdPerSecond":0.1}],"firstFrameImage":true,"maxPromptLength":2000,"maxConcurrentJobs":2}]\'' +
  " (or the same JSON in a file named by LONGSORA_VIDEO_MODELS_FILE, or layer({ models }) in code)"

export const unknownModel = (model: string, known: ReadonlyArray<string>) =>
  new Errors.UnknownModel({ model, known: [...known, `(or ${declareHint})`] })

const ModelsJson = Schema.fromJsonString(Schema.Array(ModelEntry))

const invalidModels = (field: string, given: string, detail: string) =>
  new Errors.InvalidRequest({
    field,
    given,
    allowed: "a JSON array of model entries (core's ProviderCapabilities, with the provider-prefixed id)",
    fix: `${detail}. Example: ${declareHint}.`
  })

const decodeModels = (field: string, given: string, text: string) =>
  Schema.decodeUnknownEffect(ModelsJson)(text).pipe(
    Effect.mapError((cause) => invalidModels(field, given, cause.message.slice(0, 400)))
  )

/** Entries from the file `LONGSORA_VIDEO_MODELS_FILE`, then `LONGSORA_VIDEO_MODELS` (JSON); later ones win. */
export const modelsFromEnv = Effect.gen(function* () {
  const file = yield* Config.String("LONGSORA_VIDEO_MODELS_FILE").pipe(Config.option)
  const inline = yield* Config.String("LONGSORA_VIDEO_MODELS").pipe(Config.option)
  const fromFile = Option.isSome(file)
    ? yield* Effect.try({
        try: () => readFileSync(file.value, "utf8"),
        catch: (cause) => invalidModels("LONGSORA_VIDEO_MODELS_FILE", file.value, `the file cannot be read (${cause})`)
      }).pipe(Effect.flatMap((text) => decodeModels("LONGSORA_VIDEO_MODELS_FILE", file.value, text)))
    : []
  const fromEnv = Option.isSome(inline)
    ? yield* decodeModels("LONGSORA_VIDEO_MODELS", inline.value.slice(0, 80), inline.value)
    : []
  return [...fromFile, ...fromEnv] as ReadonlyArray<ModelEntry>
})

/** Core's view of an entry (without the wire hints). */
export const capabilitiesOf = (entry: ModelEntry): ProviderCapabilities => {
  const { wire: _wire, ...capabilities } = entry
  return capabilities
}
