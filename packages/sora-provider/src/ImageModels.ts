/**
 * The OpenAI Images models that render keyframes (`chain: keyframes`), as data beside the video
 * capabilities: core's `ImageCapabilities` (model, price per image, where the price comes from) plus
 * the sizes the model answers and the quality asked for, which the price is for. Prices move: a user
 * overrides or adds entries with `OpenAiKeyframeGenerator.layer({ models })`.
 */
import type { KeyframeGenerator } from "@longsora/core"

export interface ImageModelEntry extends KeyframeGenerator.ImageCapabilities {
  /** `WIDTHxHEIGHT` sizes the model answers; the one nearest the video's shape is asked for. */
  readonly sizes: ReadonlyArray<string>
  /** The quality every request asks for; `usdPerImage` is its price at a landscape/portrait size. */
  readonly quality: "low" | "medium" | "high"
}

/** The image model used when none is named (the Images API's own default). */
export const DEFAULT_IMAGE_MODEL = "gpt-image-1.5"

const GPT_IMAGE_SIZES = ["1536x1024", "1024x1536", "1024x1024"]

const gptImage = (model: string, usdPerImage: number, price: string): ImageModelEntry => ({
  model,
  usdPerImage,
  sizes: GPT_IMAGE_SIZES,
  quality: "medium",
  sources: {
    usdPerImage: `${price}; edits also bill their input image as tokens (a few tenths of a cent)`,
    sizes: "OpenAPI CreateImageRequest.size: 1024x1024, 1536x1024, 1024x1536 for the GPT image models"
  }
})

export const builtIn: ReadonlyArray<ImageModelEntry> = [
  gptImage(
    "gpt-image-1.5",
    0.05,
    "[3P] aifreeapi.com (Mar 2026) and llmreference.com (May 2026), quoting OpenAI: medium $0.050 per 1536x1024 or 1024x1536 image"
  ),
  gptImage(
    "chatgpt-image-latest",
    0.05,
    "[3P] aifreeapi.com (Mar 2026): priced as gpt-image-1.5 ($0.050 per medium landscape/portrait image)"
  ),
  gptImage(
    "gpt-image-1",
    0.063,
    "fal.ai gpt-image-1 page (OpenAI's price passed through): medium $0.063 for any size other than 1024x1024"
  ),
  gptImage(
    "gpt-image-1-mini",
    0.015,
    "[UNVERIFIED] aifreeapi.com (Mar 2026): medium $0.011 at 1024x1024; $0.015 assumed for landscape/portrait"
  )
]

/** The model table: entries given override built-ins of the same id. */
export const table = (declared: ReadonlyArray<ImageModelEntry> = []): ReadonlyMap<string, ImageModelEntry> =>
  new Map([...builtIn, ...declared].map((entry) => [entry.model, entry]))

/** The size to ask for: the model's size whose shape is nearest the video's (`WIDTHxHEIGHT`). */
export const sizeFor = (entry: ImageModelEntry, videoSize: string): string => {
  const ratio = (size: string) => {
    const [w, h] = size.split("x").map(Number) as [number, number]
    return Math.log(w / h)
  }
  const want = ratio(videoSize)
  return [...entry.sizes].sort((a, b) => Math.abs(ratio(a) - want) - Math.abs(ratio(b) - want))[0] ?? "auto"
}
