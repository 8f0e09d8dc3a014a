/**
 * Gemini image models over the Gemini API, as `@ai-sdk/google`'s image model speaks them (it calls
 * its language model with image output): `POST {base}/models/{model}:generateContent` with
 * `{contents:[{role:"user", parts:[{text}, {inlineData:{mimeType, data}}…]}], generationConfig:
 * {responseModalities:["IMAGE"], imageConfig:{aspectRatio}}}` → `{candidates:[{content:{role:"model",
 * parts:[{inlineData:{mimeType:"image/png", data}}]}, finishReason:"STOP"}], usageMetadata}`. Input
 * images are edited (the last one is the picture kept); without one the picture follows the text.
 * Output sizes follow the aspect ratio (Gemini 2.5 Flash Image's table); an edit without one keeps
 * the source's shape. Text output is not emulated. The `moderation` fault blocks the image
 * (`finishReason: "PROHIBITED_CONTENT"`, no parts, nothing billed).
 */
import sharp from "sharp"
import type { RequestContext } from "./AppContext.ts"
import { answerLost, type DialectRoute, keepImage } from "./Dialects.ts"
import { asRecord, googleError, invalidArgument, PREFIX, readBody } from "./GeminiApi.ts"
import { sendJson } from "./HttpIo.ts"
import { responseId } from "./Ids.ts"
import * as ImagePainter from "./ImagePainter.ts"

/** Output tokens Google counts per image (and bills at the image-output rate). */
const TOKENS_PER_IMAGE = 1290

const INPUT_TYPES = ["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"]

interface ImageRequest {
  readonly prompt: string
  readonly images: ReadonlyArray<Buffer>
  readonly aspectRatio: string | undefined
}

/** The user turn's text and images, and the aspect ratio asked for. */
const readRequest = async (body: Record<string, unknown>): Promise<ImageRequest> => {
  const config = asRecord(body.generationConfig) ?? {}
  const modalities = config.responseModalities
  if (!Array.isArray(modalities) || !modalities.includes("IMAGE")) {
    throw invalidArgument(
      'The emulator serves image output only: set `generationConfig.responseModalities` to ["IMAGE"].'
    )
  }
  const aspectRatio = asRecord(config.imageConfig)?.aspectRatio
  if (aspectRatio !== undefined && typeof aspectRatio !== "string") {
    throw invalidArgument("`generationConfig.imageConfig.aspectRatio` must be a string.")
  }
  const contents = body.contents
  if (!Array.isArray(contents) || contents.length === 0) throw invalidArgument("`contents` is required.")
  const turn = asRecord(contents[contents.length - 1])
  const parts = turn?.parts
  if (!turn || (turn.role !== undefined && turn.role !== "user") || !Array.isArray(parts)) {
    throw invalidArgument("The last of `contents` must be a user turn with `parts`.")
  }
  const texts: Array<string> = []
  const images: Array<Buffer> = []
  for (const [i, raw] of parts.entries()) {
    const part = asRecord(raw) ?? {}
    if (typeof part.text === "string") texts.push(part.text)
    else if (asRecord(part.inlineData)) images.push(await readInline(asRecord(part.inlineData)!, i))
    else throw invalidArgument(`\`contents[].parts[${i}]\`: only \`text\` and \`inlineData\` parts are emulated.`)
  }
  const prompt = texts.join("\n").trim()
  if (prompt === "") throw invalidArgument("A text part (the prompt) is required.")
  return { prompt, images, aspectRatio }
}

const readInline = async (inline: Record<string, unknown>, i: number): Promise<Buffer> => {
  const mimeType = typeof inline.mimeType === "string" ? inline.mimeType.toLowerCase() : ""
  if (!INPUT_TYPES.includes(mimeType)) {
    throw invalidArgument(`Unsupported MIME type: ${mimeType || "(none)"} in \`parts[${i}].inlineData\`.`)
  }
  if (typeof inline.data !== "string" || inline.data === "") {
    throw invalidArgument(`\`parts[${i}].inlineData.data\` is required.`)
  }
  const bytes = Buffer.from(inline.data, "base64")
  try {
    await sharp(bytes).metadata()
  } catch {
    throw invalidArgument(`Unable to process input image in \`parts[${i}]\`: the image could not be decoded.`)
  }
  return bytes
}

/** The answer's size: the aspect ratio's, else the source's shape at about 1 MP, else square. */
const sizeFor = async (
  sizes: Readonly<Record<string, string>>,
  request: ImageRequest,
  modelId: string
): Promise<{ width: number; height: number }> => {
  if (request.aspectRatio !== undefined) {
    const size = sizes[request.aspectRatio]
    if (!size) {
      throw invalidArgument(
        `\`aspectRatio\` ${request.aspectRatio} is not supported by ${modelId}. Supported values: ${Object.keys(sizes).join(", ")}.`
      )
    }
    const [width, height] = size.split("x").map(Number)
    return { width: width!, height: height! }
  }
  const source = request.images.at(-1)
  if (source === undefined) return { width: 1024, height: 1024 }
  const meta = await sharp(source).metadata()
  const ratio = (meta.width ?? 1) / (meta.height ?? 1)
  // The listed size nearest the source's shape.
  const nearest = Object.values(sizes)
    .map((size) => size.split("x").map(Number) as [number, number])
    .sort((a, b) => Math.abs(Math.log(a[0] / a[1] / ratio)) - Math.abs(Math.log(b[0] / b[1] / ratio)))[0]
  return nearest ? { width: nearest[0], height: nearest[1] } : { width: 1024, height: 1024 }
}

export const generateContent = async (ctx: RequestContext): Promise<void> => {
  const modelId = ctx.params[0] ?? ""
  const model = ctx.app.dialects.geminiImageModels[modelId]
  if (!model) {
    throw googleError(
      404,
      "NOT_FOUND",
      `models/${modelId} is not found for API version v1beta, or is not supported for generateContent (the emulator serves image models: ${Object.keys(ctx.app.dialects.geminiImageModels).join(", ")}).`
    )
  }
  const request = await readRequest(await readBody(ctx))
  const { width, height } = await sizeFor(model.sizes, request, modelId)
  const promptTokenCount = Math.ceil(request.prompt.length / 4) + 258 * request.images.length
  const usage = (images: number) => ({
    promptTokenCount,
    candidatesTokenCount: images * TOKENS_PER_IMAGE,
    totalTokenCount: promptTokenCount + images * TOKENS_PER_IMAGE
  })
  if (ctx.app.faults.moderation(ctx.faults)) {
    return sendJson(ctx.res, 200, {
      candidates: [{ finishReason: "PROHIBITED_CONTENT", index: 0 }],
      usageMetadata: usage(0),
      modelVersion: modelId,
      responseId: responseId()
    })
  }
  const png = await ImagePainter.render(request.prompt, { width, height }, "png", request.images.at(-1))
  await keepImage(ctx, "gemini", png, "png")
  if (answerLost(ctx)) return
  sendJson(ctx.res, 200, {
    candidates: [
      {
        content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: png.toString("base64") } }] },
        finishReason: "STOP",
        index: 0
      }
    ],
    usageMetadata: usage(1),
    modelVersion: modelId,
    responseId: responseId()
  })
}

export const routes: ReadonlyArray<DialectRoute> = [
  {
    method: "POST",
    pattern: new RegExp(`^${PREFIX}/models/([A-Za-z0-9._-]+):generateContent$`),
    name: `POST ${PREFIX}/models/{model}:generateContent`,
    handler: generateContent,
    authenticated: true
  }
]
