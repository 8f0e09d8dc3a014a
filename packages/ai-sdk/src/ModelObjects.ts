/**
 * AI SDK model objects given directly (`createVideo({ model: google.video("veo-3.1-generate-preview") })`):
 * the provider-prefixed id they stand for in requests, the manifest and the capability table.
 */
import type {
  ImageModelV4,
  Experimental_VideoModelV3 as VideoModelV3,
  Experimental_VideoModelV4 as VideoModelV4
} from "@ai-sdk/provider"
import type { LanguageModel } from "ai"

/** `google.generative-ai` → `google`; `google.vertex.video` → `vertex`; `fal.video` → `fal`. */
export const providerPrefix = (provider: string): string =>
  provider.startsWith("google.vertex") ? "vertex" : (provider.split(".")[0] ?? provider)

export const videoModelId = (model: VideoModelV4 | VideoModelV3): string =>
  `${providerPrefix(model.provider)}:${model.modelId.replace(/^fal-ai\//, "")}`

/** The id of a language model object; a string model id is returned as it is. */
export const languageModelId = (model: LanguageModel): string =>
  typeof model === "string" ? model : `${providerPrefix(model.provider)}:${model.modelId}`

/** `google:gemini-2.5-flash-image`, `fal:flux-pro/kontext` for an image model object. */
export const imageModelId = (model: ImageModelV4): string =>
  `${providerPrefix(model.provider)}:${model.modelId.replace(/^fal-ai\//, "")}`
