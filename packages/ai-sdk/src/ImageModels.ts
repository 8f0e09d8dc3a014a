/**
 * The AI SDK image models LongSora renders keyframes with (`chain: keyframes`), as data keyed by the
 * provider-prefixed id (`google:gemini-2.5-flash-image`, `fal:flux-pro/kontext`): core's
 * `ImageCapabilities` (price per image, with its source) plus how to phrase the call. Keyframe 0 is
 * made from text (or is the user's reference); every later one is an edit of the previous, so a
 * model here must edit an input image, or name the model that makes keyframe 0 from text
 * (`fromText`). Prices move: pass your own entries to `AiSdkKeyframeGenerator.layer({ models })`.
 */
import { Errors, KeyframeGenerator } from "@longsora/core"
import { Schema } from "effect"

export const ImageModelEntry = Schema.Struct({
  ...KeyframeGenerator.ImageCapabilities.fields,
  /** The model edits an input image (the previous keyframe); required for keyframes 1…N. */
  edits: Schema.Boolean,
  /** The model for a picture from text alone, where this one only edits (fal's Kontext apps are one per mode). */
  fromText: Schema.optionalKey(Schema.NonEmptyString),
  /**
   * How the shape is asked for: `standard`, the call's `aspectRatio` (Gemini's `imageConfig`);
   * `aspect_ratio`, the app's own field as a provider option (fal maps `aspectRatio` to `image_size`,
   * which Kontext does not read).
   */
  aspectRatio: Schema.optionalKey(Schema.Literals(["standard", "aspect_ratio"])),
  /** Provider options sent on every call (e.g. fal's `{ "outputFormat": "png" }`). */
  providerOptions: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json))
})
export type ImageModelEntry = typeof ImageModelEntry.Type

const geminiImage = (model: string, usdPerImage: number, priceSource: string): ImageModelEntry => ({
  model,
  usdPerImage,
  edits: true,
  aspectRatio: "standard",
  sources: {
    usdPerImage: priceSource,
    edits: "@ai-sdk/google 4.0.121 google-image-model.ts: supportsFileInputs for this id (files sent as inlineData)"
  }
})

/** The built-in table. */
export const builtIn: ReadonlyArray<ImageModelEntry> = [
  geminiImage(
    "google:gemini-2.5-flash-image",
    0.039,
    "[3P] HeyPuter/puter GEMINI_COST_MAP (PR #2562): 1024x1024 = $0.039 (Google: 1,290 output tokens at $30 per 1M)"
  ),
  geminiImage(
    "google:gemini-3.1-flash-image-preview",
    0.067,
    "[3P] HeyPuter/puter GEMINI_COST_MAP (PR #2562): gemini-3.1-flash-image-preview 1024x1024 = $0.067"
  ),
  geminiImage(
    "google:gemini-3-pro-image-preview",
    0.156,
    "[3P] HeyPuter/puter GEMINI_COST_MAP (PR #2562): gemini-3-pro-image-preview 1024x1024 = $0.156"
  ),
  {
    model: "fal:flux-pro/kontext",
    usdPerImage: 0.04,
    edits: true,
    fromText: "fal:flux-pro/kontext/text-to-image",
    aspectRatio: "aspect_ratio",
    providerOptions: { outputFormat: "png" },
    sources: {
      usdPerImage: "fal.ai/models/fal-ai/flux-pro/kontext/llms.txt: $0.04 per image",
      edits: "fal model page: image_url is required (image-to-image); fal-ai/flux-pro/kontext/text-to-image for text",
      aspectRatio: "fal model page input schema: aspect_ratio 21:9 … 9:21; no image_size"
    }
  },
  {
    model: "fal:flux-pro/kontext/text-to-image",
    usdPerImage: 0.04,
    edits: false,
    aspectRatio: "aspect_ratio",
    providerOptions: { outputFormat: "png" },
    sources: {
      usdPerImage: "[UNVERIFIED] the same as FLUX.1 Kontext [pro] edits: $0.04 per image",
      edits: "fal model page: text prompt input only"
    }
  }
]

/** `fal:fal-ai/x` and `fal:x` name the same app, as for video models. */
export const normalizeId = (model: string): string => model.replace(/^fal:(fal-ai|fal)\//, "fal:")

/**
 * The id the provider package's image model takes: fal's is the app path it posts to
 * (`fal-ai/flux-pro/kontext`; its video model adds `fal-ai/` itself, its image model does not).
 */
export const packageModelId = (provider: string, modelId: string): string =>
  provider === "fal" ? `fal-ai/${modelId.replace(/^(fal-ai|fal)\//, "")}` : modelId

/** The image model table: declared entries override built-ins of the same id. */
export const table = (declared: ReadonlyArray<ImageModelEntry> = []): ReadonlyMap<string, ImageModelEntry> => {
  const map = new Map<string, ImageModelEntry>()
  for (const entry of [...builtIn, ...declared]) {
    const model = normalizeId(entry.model)
    map.set(model, { ...entry, model, ...(entry.fromText ? { fromText: normalizeId(entry.fromText) } : {}) })
  }
  return map
}

/** How to declare a model the table lacks. */
export const declareHint =
  'declare it: AiSdkKeyframeGenerator.layer({ model: "fal:<app>", models: [{ model: "fal:<app>", usdPerImage: 0.04, edits: true }] })'

export const unknownModel = (model: string, known: ReadonlyArray<string>) =>
  new Errors.UnknownModel({ model, known: [...known, `(or ${declareHint})`] })
