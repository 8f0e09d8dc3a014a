/**
 * OpenAI's Images API for the GPT image models, as the published contract has it (the OpenAPI
 * file's `CreateImageRequest`, `CreateImageEditRequest`, `ImagesResponse`):
 *
 * - `POST /v1/images/generations`, JSON `{prompt, model?, n?, size?, quality?, output_format?, …}`;
 * - `POST /v1/images/edits`, multipart with `image` (or `image[]`, up to 16), `prompt`, an optional
 *   `mask` and the same options;
 *
 * both answering `{created, data: [{b64_json}], background, output_format, size, quality, usage}`
 * with real pictures (ImagePainter). Errors use the OpenAI envelope. Every image made is billed, so
 * each is counted (`stats().images`) and recorded in the data directory (`images/<id>.json`), where
 * `readDataDir` counts them across processes.
 */
import { randomBytes } from "node:crypto"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { badRequest, invalidType, invalidValue, missingParameter, unknownParameter } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"
import { contentType, readJson, sendJson } from "./HttpIo.ts"
import * as ImagePainter from "./ImagePainter.ts"
import { imagesDir } from "./JobRecords.ts"
import { parseMultipart, type UploadedFile } from "./Multipart.ts"

type Json = Record<string, unknown>

/** What one image model takes; `sizes` lists the fixed sizes, `anySize` also allows `WxH` within bounds. */
export interface ImageModel {
  readonly sizes: ReadonlyArray<string>
  readonly anySize?: boolean
}

const STANDARD = ["1024x1024", "1536x1024", "1024x1536", "auto"]

/** The GPT image models (the contract's enum); `gpt-image-2` takes arbitrary sizes. */
export const imageModels: Readonly<Record<string, ImageModel>> = {
  "gpt-image-1": { sizes: STANDARD },
  "gpt-image-1-mini": { sizes: STANDARD },
  "gpt-image-1.5": { sizes: STANDARD },
  "chatgpt-image-latest": { sizes: STANDARD },
  "gpt-image-2": { sizes: STANDARD, anySize: true },
  "gpt-image-2-2026-04-21": { sizes: STANDARD, anySize: true }
}

/** The contract's default model. */
export const DEFAULT_IMAGE_MODEL = "gpt-image-1.5"
const MAX_PROMPT = 32_000
const MAX_EDIT_IMAGES = 16

const OPTIONS = ["model", "n", "size", "quality", "output_format", "output_compression", "background", "user"]
const GENERATION_KEYS = ["prompt", ...OPTIONS, "moderation", "stream", "partial_images", "style", "response_format"]
const EDIT_FIELDS = ["prompt", ...OPTIONS, "input_fidelity", "stream", "partial_images", "response_format"]

/** Images made by this process, by kind; the data directory keeps every process's. */
export class ImagesState {
  generations = 0
  edits = 0
  readonly dir: string

  constructor(dataDir: string) {
    // One entry per image, beside the dialects' images, so `readDataDir` counts every one.
    this.dir = imagesDir(dataDir)
  }
}

interface Options {
  readonly model: string
  readonly n: number
  readonly size: string
  readonly quality: "low" | "medium" | "high"
  readonly format: ImagePainter.OutputFormat
  readonly background: "transparent" | "opaque"
}

const oneOf = <T extends string>(param: string, value: unknown, allowed: ReadonlyArray<T>): T | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") throw invalidType(param, "a string", value)
  if (!(allowed as ReadonlyArray<string>).includes(value)) throw invalidValue(param, value, allowed)
  return value as T
}

const checkSize = (size: string, model: string, spec: ImageModel): void => {
  if (spec.sizes.includes(size)) return
  const match = /^(\d+)x(\d+)$/.exec(size)
  if (spec.anySize && match) {
    const [w, h] = [Number(match[1]), Number(match[2])]
    const ratio = w / h
    if (w % 16 === 0 && h % 16 === 0 && ratio >= 1 / 3 && ratio <= 3 && Math.max(w, h) <= 3840 && w * h <= 3840 * 2160)
      return
    throw badRequest(
      `Invalid size '${size}' for ${model}: width and height must be multiples of 16, the aspect ratio between 1:3 and 3:1, at most 3840x2160.`,
      "size",
      "invalid_value"
    )
  }
  throw invalidValue("size", size, spec.sizes)
}

const integer = (param: string, value: unknown): number | undefined => {
  if (value === undefined || value === null) return undefined
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  if (typeof n !== "number" || !Number.isInteger(n)) throw invalidType(param, "an integer", value)
  return n
}

/** The options common to both routes, checked as the contract says. */
const readOptions = (body: Json): Options => {
  if (typeof body.prompt !== "string")
    throw body.prompt === undefined ? missingParameter("prompt") : invalidType("prompt", "a string", body.prompt)
  if (body.prompt.trim() === "") throw badRequest("Invalid 'prompt': empty string.", "prompt", "empty_string")
  if (body.prompt.length > MAX_PROMPT) {
    throw badRequest(
      `Invalid 'prompt': string too long. Expected a string with maximum length ${MAX_PROMPT}, but got a string with length ${body.prompt.length} instead.`,
      "prompt",
      "string_above_max_length"
    )
  }
  const model = oneOf("model", body.model, Object.keys(imageModels)) ?? DEFAULT_IMAGE_MODEL
  if (body.stream === true || body.stream === "true") {
    throw badRequest("Streaming is not supported by the LongSora emulator.", "stream", "unsupported_value")
  }
  if (body.response_format !== undefined && body.response_format !== null) {
    // GPT image models always answer base64 (the contract: `response_format` is for dall-e-2 only).
    throw unknownParameter("response_format")
  }
  const n = integer("n", body.n) ?? 1
  if (n < 1 || n > 10) {
    throw badRequest(`Invalid 'n': integer ${n} is out of range [1, 10].`, "n", "integer_out_of_range")
  }
  const size = typeof body.size === "string" ? body.size : body.size == null ? "auto" : ""
  if (size === "") throw invalidType("size", "a string", body.size)
  checkSize(size, model, imageModels[model]!)
  const quality = oneOf("quality", body.quality, ["low", "medium", "high", "auto"] as const) ?? "auto"
  const format = oneOf("output_format", body.output_format, ["png", "jpeg", "webp"] as const) ?? "png"
  const background = oneOf("background", body.background, ["transparent", "opaque", "auto"] as const) ?? "auto"
  if (background === "transparent" && format === "jpeg") {
    throw badRequest(
      "Transparent background is not supported with output_format 'jpeg'; use 'png' or 'webp'.",
      "background",
      "invalid_value"
    )
  }
  return {
    model,
    n,
    size,
    quality: quality === "auto" ? "medium" : quality,
    format,
    background: background === "transparent" ? "transparent" : "opaque"
  }
}

/** `auto`: the standard size nearest the source's shape (square without a source). */
const resolveSize = (size: string, source?: ImagePainter.Size): ImagePainter.Size => {
  if (size !== "auto") {
    const [width, height] = size.split("x").map(Number) as [number, number]
    return { width, height }
  }
  if (!source || Math.abs(source.width / source.height - 1) < 0.2) return { width: 1024, height: 1024 }
  return source.width > source.height ? { width: 1536, height: 1024 } : { width: 1024, height: 1536 }
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

/** Records, counts and answers with the images painted by `paint`. */
const answer = async (
  ctx: RequestContext,
  kind: "generation" | "edit",
  options: Options,
  prompt: string,
  size: ImagePainter.Size,
  paint: (index: number) => Promise<Buffer>,
  inputImages: number
): Promise<void> => {
  const images: Array<Buffer> = []
  for (let i = 0; i < options.n; i++) images.push(await paint(i))
  const state = ctx.app.images
  await mkdir(state.dir, { recursive: true })
  const createdAtMs = Date.now()
  for (let i = 0; i < images.length; i++) {
    const id = `img_${randomBytes(12).toString("hex")}`
    await writeFile(
      join(state.dir, `${id}.json`),
      JSON.stringify({ id, kind, model: options.model, prompt, createdAtMs })
    )
    if (kind === "generation") state.generations++
    else state.edits++
  }
  const outputTokens = { low: 272, medium: 1056, high: 4160 }[options.quality] * options.n
  const textTokens = tokens(prompt)
  const imageTokens = inputImages * 323
  sendJson(ctx.res, 200, {
    created: Math.floor(createdAtMs / 1000),
    data: images.map((bytes) => ({ b64_json: bytes.toString("base64") })),
    background: options.background,
    output_format: options.format,
    size: `${size.width}x${size.height}`,
    quality: options.quality,
    usage: {
      input_tokens: textTokens + imageTokens,
      input_tokens_details: { text_tokens: textTokens, image_tokens: imageTokens },
      output_tokens: outputTokens,
      total_tokens: textTokens + imageTokens + outputTokens
    }
  })
}

/** `POST /v1/images/generations`. */
export const generate = async (ctx: RequestContext): Promise<void> => {
  const body = await readJson(ctx.req, ctx.app.limits.maxJsonBytes)
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("Invalid request body: expected a JSON object.", null, "invalid_type")
  }
  for (const key of Object.keys(body)) if (!GENERATION_KEYS.includes(key)) throw unknownParameter(key)
  const options = readOptions(body as Json)
  const prompt = (body as Json).prompt as string
  const size = resolveSize(options.size)
  await answer(ctx, "generation", options, prompt, size, () => ImagePainter.paint(prompt, size, options.format), 0)
}

const imageFiles = (files: ReadonlyArray<UploadedFile>) =>
  files.filter((f) => f.field === "image" || f.field === "image[]")

/** `POST /v1/images/edits`. */
export const edit = async (ctx: RequestContext): Promise<void> => {
  if (!contentType(ctx.req).startsWith("multipart/form-data")) {
    throw badRequest("Invalid Content-Type header, expected multipart/form-data.", null, "invalid_content_type")
  }
  const body = await parseMultipart(ctx.req, ctx.app.uploadDir, {
    ...ctx.app.limits,
    maxFiles: MAX_EDIT_IMAGES + 1
  })
  try {
    const fields: Json = {}
    for (const [name, value] of body.fields) {
      if (!EDIT_FIELDS.includes(name)) throw unknownParameter(name)
      fields[name] = value
    }
    const stray = body.files.find((f) => !["image", "image[]", "mask"].includes(f.field))
    if (stray) throw unknownParameter(stray.field)
    const images = imageFiles(body.files)
    if (images.length === 0) throw missingParameter("image")
    if (images.length > MAX_EDIT_IMAGES) {
      throw badRequest(
        `Invalid 'image': at most ${MAX_EDIT_IMAGES} images can be edited at once.`,
        "image",
        "invalid_value"
      )
    }
    const options = readOptions(fields)
    const decoded = await Promise.all(images.map((image) => ImagePainter.dimensionsOf(image.path)))
    const bad = decoded.findIndex((d) => d === undefined || !["png", "jpeg", "webp"].includes(d.format))
    if (bad >= 0) {
      throw badRequest(
        `Invalid file 'image': unsupported or undecodable image ('${images[bad]!.mimeType}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`,
        "image",
        "invalid_image_format"
      )
    }
    const first = decoded[0]!.size
    const mask = body.files.find((f) => f.field === "mask")
    if (mask) {
      const masked = await ImagePainter.dimensionsOf(mask.path)
      const same = masked?.format === "png" && masked.size.width === first.width && masked.size.height === first.height
      if (!same) {
        throw badRequest(
          "Invalid mask image: the mask must be a PNG of the same dimensions as the first image.",
          "mask",
          "invalid_value"
        )
      }
    }
    const prompt = fields.prompt as string
    const size = resolveSize(options.size, first)
    await answer(
      ctx,
      "edit",
      options,
      prompt,
      size,
      () => ImagePainter.edit(images[0]!.path, prompt, size, options.format),
      images.length
    )
  } finally {
    await Promise.all(body.files.map((file) => rm(file.path, { force: true })))
  }
}
