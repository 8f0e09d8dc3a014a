/**
 * The models the Gemini, fal and xAI dialects accept, with the limits the vendors publish: allowed
 * clip lengths, resolutions and aspect ratios, the request fields each fal model reads, and how a
 * model uses the start image. Sources per entry; the README lists them. Override or extend with
 * `EmulatorOptions.veoModels` / `EmulatorOptions.falModels`.
 */

/** A Veo model served over the Gemini API (`models/{id}:predictLongRunning`). */
export interface VeoModel {
  /** `parameters.durationSeconds` values. */
  readonly durations: ReadonlyArray<number>
  /** `parameters.aspectRatio` values; the first is the default. */
  readonly aspectRatios: ReadonlyArray<string>
  /** `parameters.resolution` → picture height; the first is the default. */
  readonly resolutions: Readonly<Record<string, number>>
  /** Resolutions that allow only `durationSeconds: 8` (Veo 3.1: 1080p and 4k). */
  readonly eightSecondsOnly: ReadonlyArray<string>
}

const veo31: VeoModel = {
  durations: [4, 6, 8],
  aspectRatios: ["16:9", "9:16"],
  resolutions: { "720p": 720, "1080p": 1080, "4k": 2160 },
  eightSecondsOnly: ["1080p", "4k"]
}

/** Veo 3.1 and 3.1 Fast (preview and GA ids): 4/6/8 s, 16:9 or 9:16, 720p/1080p/4k, first and last frame. */
export const defaultVeoModels: Readonly<Record<string, VeoModel>> = {
  "veo-3.1-generate-preview": veo31,
  "veo-3.1-generate-001": veo31,
  "veo-3.1-fast-generate-preview": veo31,
  "veo-3.1-fast-generate-001": veo31
}

/** A fal image-to-video app, described by the input fields of its published schema. */
export interface FalModel {
  /** Allowed `duration` strings (fal apps type it as a string enum); the first is the default. */
  readonly durations: ReadonlyArray<string>
  /** `resolution` values → picture height, when the app takes one; the first is the default. */
  readonly resolutions?: Readonly<Record<string, number>>
  /** Picture height when the app has no `resolution` field. */
  readonly height?: number
  /** `aspect_ratio` values, when the app takes one (otherwise the clip follows the image). */
  readonly aspectRatios?: ReadonlyArray<string>
  /** The field that carries the end frame, if the app has one. */
  readonly endFrameField?: "tail_image_url" | "end_image_url"
  /** `exact`: the first frame is `image_url`; `conditioning`: the image only guides the clip. */
  readonly firstFrame: "exact" | "conditioning"
}

/**
 * One app per family LongSora's capability table covers. Field names from the fal model pages
 * (copies of their input schemas): Kling 2.1 Pro i2v (`duration` "5"/"10", `tail_image_url`,
 * 1080p), Wan 2.5 preview i2v (`duration` "5"/"10", `resolution` 480p/720p/1080p, no end frame),
 * Seedance 1.5 Pro i2v (`duration` "4"…"12", `resolution`, `aspect_ratio`, `end_image_url`),
 * Hailuo-02 Standard i2v (`duration` "6"/"10", `resolution` 512P/768P, `end_image_url`).
 * Which of them keep the image as the exact first frame is not published; Wan is emulated as
 * conditioning-only so clients meet both behaviours.
 */
export const defaultFalModels: Readonly<Record<string, FalModel>> = {
  "fal-ai/kling-video/v2.1/pro/image-to-video": {
    durations: ["5", "10"],
    height: 1080,
    endFrameField: "tail_image_url",
    firstFrame: "exact"
  },
  "fal-ai/wan-25-preview/image-to-video": {
    durations: ["5", "10"],
    resolutions: { "1080p": 1080, "720p": 720, "480p": 480 },
    firstFrame: "conditioning"
  },
  "fal-ai/bytedance/seedance/v1.5/pro/image-to-video": {
    durations: ["5", "4", "6", "7", "8", "9", "10", "11", "12"],
    resolutions: { "720p": 720, "480p": 480, "1080p": 1080 },
    aspectRatios: ["16:9", "21:9", "4:3", "1:1", "3:4", "9:16"],
    endFrameField: "end_image_url",
    firstFrame: "exact"
  },
  "fal-ai/minimax/hailuo-02/standard/image-to-video": {
    durations: ["6", "10"],
    resolutions: { "768P": 768, "512P": 512 },
    endFrameField: "end_image_url",
    firstFrame: "exact"
  }
}

/** A Grok Imagine video model served over xAI's API (`POST /videos/generations`). */
export interface XaiModel {
  /** Whole seconds `duration` may be, inclusive, and the default. */
  readonly minSeconds: number
  readonly maxSeconds: number
  readonly defaultSeconds: number
  /** `resolution` values → picture height (the short side); `defaultResolution` is used without one. */
  readonly resolutions: Readonly<Record<string, number>>
  readonly defaultResolution: string
  /** `aspect_ratio` values; without one a clip follows its start image, else the first (16:9). */
  readonly aspectRatios: ReadonlyArray<string>
}

const grokAspectRatios = ["16:9", "1:1", "9:16", "4:3", "3:4", "3:2", "2:3"]

/**
 * Grok Imagine as `@ai-sdk/xai` sends it and LongSora's table (packages/ai-sdk VideoModels.ts)
 * declares it: 1–15 s (xAI's schema as Comfy Router republishes it: default 8 s, aspect ratios
 * 1:1…2:3, default 16:9), 480p/720p, and 1080p on 1.5 only (the package warns that
 * `grok-imagine-video` has no 1080p). The 480p default is [UNVERIFIED].
 */
export const defaultXaiModels: Readonly<Record<string, XaiModel>> = {
  "grok-imagine-video": {
    minSeconds: 1,
    maxSeconds: 15,
    defaultSeconds: 8,
    resolutions: { "480p": 480, "720p": 720 },
    defaultResolution: "480p",
    aspectRatios: grokAspectRatios
  },
  "grok-imagine-video-1.5": {
    minSeconds: 1,
    maxSeconds: 15,
    defaultSeconds: 8,
    resolutions: { "480p": 480, "720p": 720, "1080p": 1080 },
    defaultResolution: "480p",
    aspectRatios: grokAspectRatios
  }
}

/** `16:9` → 16/9; undefined when malformed. */
export const ratioOf = (aspectRatio: string): number | undefined => {
  const m = /^(\d+):(\d+)$/.exec(aspectRatio)
  if (!m) return undefined
  const w = Number(m[1])
  const h = Number(m[2])
  return w > 0 && h > 0 ? w / h : undefined
}

/**
 * A picture `height` tall (the short side for portrait) at `ratio` = width / height, both even, as
 * H.264 yuv420p needs: 720p 16:9 → 1280x720, 720p 9:16 → 720x1280.
 */
export const sizeFor = (shortSide: number, ratio: number): string => {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2)
  return ratio >= 1 ? `${even(shortSide * ratio)}x${shortSide}` : `${shortSide}x${even(shortSide / ratio)}`
}

/** An image model served over the Gemini API (`models/{id}:generateContent`, image output). */
export interface GeminiImageModel {
  /** `generationConfig.imageConfig.aspectRatio` → the picture's size; `1:1` is the default without an input image. */
  readonly sizes: Readonly<Record<string, string>>
}

/** Gemini 2.5 Flash Image's output sizes per aspect ratio (the Gemini API image-generation guide's table). */
const geminiFlashImage: GeminiImageModel = {
  sizes: {
    "1:1": "1024x1024",
    "2:3": "832x1248",
    "3:2": "1248x832",
    "3:4": "864x1184",
    "4:3": "1184x864",
    "4:5": "896x1152",
    "5:4": "1152x896",
    "9:16": "768x1344",
    "16:9": "1344x768",
    "21:9": "1536x672"
  }
}

/** The Gemini image models `@ai-sdk/google` lets edit an input image (its `supportsFileInputs` list). */
export const defaultGeminiImageModels: Readonly<Record<string, GeminiImageModel>> = {
  "gemini-2.5-flash-image": geminiFlashImage,
  "gemini-3-pro-image-preview": geminiFlashImage,
  "gemini-3.1-flash-image-preview": geminiFlashImage
}

/** A fal image app on the synchronous endpoint (`https://fal.run/{app}`). */
export interface FalImageApp {
  /** Whether `image_url` (the picture to edit) is required. */
  readonly edits: boolean
  /** `aspect_ratio` values; without one an edit keeps the source's shape and text is square. */
  readonly aspectRatios: ReadonlyArray<string>
}

const kontextRatios = ["21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"]

/** FLUX.1 Kontext [pro]: edit (`image_url` required) and text-to-image (fal model pages' input schemas). */
export const defaultFalImageApps: Readonly<Record<string, FalImageApp>> = {
  "fal-ai/flux-pro/kontext": { edits: true, aspectRatios: kontextRatios },
  "fal-ai/flux-pro/kontext/text-to-image": { edits: false, aspectRatios: kontextRatios }
}

/** About one megapixel at `ratio` (width / height), both sides multiples of 16. */
export const megapixelSize = (ratio: number): { width: number; height: number } => {
  const round16 = (n: number) => Math.max(16, Math.round(n / 16) * 16)
  const height = Math.sqrt((1024 * 1024) / ratio)
  return { width: round16(height * ratio), height: round16(height) }
}
