/**
 * fal's image apps on the synchronous endpoint, as `@ai-sdk/fal`'s image model speaks it:
 * `POST https://fal.run/{app}` (its `baseURL`, here `/fal/run`) with `{prompt, image_url?,
 * aspect_ratio?, output_format?, num_images, image_size?, seed?, …}` → `{images:[{url, width, height,
 * content_type}], seed, has_nsfw_concepts, prompt, timings}`; the package then downloads each URL
 * (media on fal's CDN without credentials; here `/fal/files/{id}/image.png` on the emulator, which
 * the package trusts as its own `baseURL`'s origin). `image_url` is a data URL or an https URL.
 * Fields an app does not know (`image_size` for Kontext) are ignored, as fal's apps do. The
 * `moderation` fault answers a black picture flagged `has_nsfw_concepts: [true]` (still billed).
 */
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import sharp from "sharp"
import type { RequestContext } from "./AppContext.ts"
import { type FalImageApp, megapixelSize, ratioOf } from "./DialectModels.ts"
import { answerLost, type DialectRoute, keepImage, originOf } from "./Dialects.ts"
import { detail, enumError, type FieldError, fetchImage, missing, PREFIX, readBody, unprocessable } from "./FalApi.ts"
import { sendFile, sendJson } from "./HttpIo.ts"
import * as ImagePainter from "./ImagePainter.ts"

/** Where the emulator serves `https://fal.run` (fal's synchronous endpoint). */
export const RUN_PATH = `${PREFIX}/run`

const FORMATS = ["jpeg", "png"] as const
type Format = (typeof FORMATS)[number]

interface FalImageInput {
  readonly prompt: string
  readonly imageUrl: string | undefined
  readonly aspectRatio: string | undefined
  readonly format: Format
  readonly count: number
  readonly syncMode: boolean
}

const readInput = (body: Record<string, unknown>, app: FalImageApp): FalImageInput => {
  const errors: Array<FieldError> = []
  const string = (field: string, required: boolean) => {
    const value = body[field]
    if (value === undefined || value === null) {
      if (required) errors.push(missing(field))
      return undefined
    }
    if (typeof value === "string") return value
    errors.push({ loc: ["body", field], msg: "Input should be a valid string", type: "string_type", input: value })
    return undefined
  }
  const prompt = string("prompt", true)
  const imageUrl = app.edits ? string("image_url", true) : undefined
  const aspectRatio = string("aspect_ratio", false)
  if (aspectRatio !== undefined && !app.aspectRatios.includes(aspectRatio)) {
    errors.push(enumError("aspect_ratio", aspectRatio, app.aspectRatios))
  }
  const format = string("output_format", false) ?? "jpeg"
  if (!(FORMATS as ReadonlyArray<string>).includes(format)) errors.push(enumError("output_format", format, FORMATS))
  const count = body.num_images ?? 1
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 4) {
    errors.push({
      loc: ["body", "num_images"],
      msg: "Input should be less than or equal to 4",
      type: "less_than_equal",
      input: count
    })
  }
  if (errors.length > 0 || prompt === undefined) throw unprocessable(errors)
  return {
    prompt,
    imageUrl,
    aspectRatio,
    format: format as Format,
    count: count as number,
    syncMode: body.sync_mode === true
  }
}

const mediaUrl = (ctx: RequestContext, id: string, format: Format) =>
  `${originOf(ctx.req)}${PREFIX}/files/${id}/image.${format}`

export const run = async (ctx: RequestContext): Promise<void> => {
  const appId = ctx.params[0] ?? ""
  const app = ctx.app.dialects.falImageApps[appId]
  if (!app) throw detail(404, `Application '${appId}' not found.`)
  const input = readInput(await readBody(ctx), app)
  const source = input.imageUrl === undefined ? undefined : await fetchImage(ctx, "image_url", input.imageUrl)
  const ratio = (input.aspectRatio && ratioOf(input.aspectRatio)) || (source ? source.width / source.height : 1)
  const { width, height } = megapixelSize(ratio)
  const flagged = ctx.app.faults.moderation(ctx.faults)
  const images: Array<Record<string, unknown>> = []
  for (let i = 0; i < input.count; i++) {
    const bytes = flagged
      ? await ImagePainter.encode(
          sharp({ create: { width, height, channels: 3, background: "#000000" } }),
          input.format
        )
      : await ImagePainter.render(input.prompt, { width, height }, input.format, source?.path)
    const id = await keepImage(ctx, "fal", bytes, input.format)
    const contentType = `image/${input.format}`
    images.push({
      url: input.syncMode ? `data:${contentType};base64,${bytes.toString("base64")}` : mediaUrl(ctx, id, input.format),
      width,
      height,
      content_type: contentType
    })
  }
  if (answerLost(ctx)) return
  sendJson(ctx.res, 200, {
    images,
    timings: { inference: 0.05 },
    seed: Number.parseInt(randomBytes(3).toString("hex"), 16),
    has_nsfw_concepts: images.map(() => flagged),
    prompt: input.prompt
  })
}

/** A made image, without credentials, as fal's CDN serves it. */
export const media = async (ctx: RequestContext): Promise<void> => {
  const [id = "", format = "png"] = ctx.params
  const path = join(ctx.app.dialects.imageDir, `${id}.${format}`)
  try {
    await sendFile(ctx.req, ctx.res, path, `image/${format}`, { dropAfterBytes: undefined, bytesPerSecond: undefined })
  } catch {
    throw detail(404, "Not Found")
  }
}

const APP = "([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*)"

export const routes: ReadonlyArray<DialectRoute> = [
  {
    method: "POST",
    pattern: new RegExp(`^${RUN_PATH}/${APP}$`),
    name: `POST ${RUN_PATH}/{app}`,
    handler: run,
    authenticated: true
  },
  {
    method: "GET",
    pattern: new RegExp(`^${PREFIX}/files/([0-9a-f]+)/image\\.(png|jpeg)$`),
    name: `GET ${PREFIX}/files/{id}/image`,
    handler: media,
    authenticated: false
  }
]
