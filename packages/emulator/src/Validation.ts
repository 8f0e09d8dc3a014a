/**
 * Turns a create-video body (JSON object or multipart fields) into a checked request, failing
 * with the contract's 400s: unknown parameter, missing prompt, wrong types, values outside the
 * model's enums. Reference images are checked later (they need I/O), see Reference.ts.
 */
import { badRequest, invalidType, invalidValue, missingParameter, quotedList, unknownParameter } from "./ApiError.ts"
import { DEFAULT_MODEL, defaultSecondsOf, type ModelTable } from "./Models.ts"
import type { MultipartBody, UploadedFile } from "./Multipart.ts"

export type ReferenceSource =
  | { readonly kind: "upload"; readonly file: UploadedFile }
  | { readonly kind: "image_url"; readonly url: string }
  | { readonly kind: "file_id"; readonly id: string }

export interface CreateRequest {
  readonly prompt: string
  readonly model: string
  readonly seconds: string
  readonly size: string
  readonly reference: ReferenceSource | undefined
}

const CREATE_KEYS = ["prompt", "model", "seconds", "size", "input_reference"]
const MAX_PROMPT = 32000

/** Raw values before checking: strings from multipart, anything from JSON. */
interface RawCreate {
  readonly values: Readonly<Record<string, unknown>>
  readonly upload: UploadedFile | undefined
}

export const fromJson = (body: unknown): RawCreate => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("Invalid request body: expected a JSON object.", null, "invalid_type")
  }
  for (const key of Object.keys(body)) if (!CREATE_KEYS.includes(key)) throw unknownParameter(key)
  return { values: body as Record<string, unknown>, upload: undefined }
}

export const fromMultipart = (body: MultipartBody): RawCreate => {
  const values: Record<string, unknown> = {}
  const nested: Record<string, string> = {}
  for (const [name, value] of body.fields) {
    const bracket = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name)
    if (bracket) {
      const [, outer = "", inner = ""] = bracket
      if (outer !== "input_reference")
        throw unknownParameter(outer in values || CREATE_KEYS.includes(outer) ? `${outer}.${inner}` : outer)
      if (inner !== "image_url" && inner !== "file_id") throw unknownParameter(`input_reference.${inner}`)
      nested[inner] = value
      continue
    }
    if (!CREATE_KEYS.includes(name)) throw unknownParameter(name)
    values[name] = value
  }
  let upload: UploadedFile | undefined
  for (const file of body.files) {
    if (file.field !== "input_reference") throw unknownParameter(file.field)
    upload = file
  }
  if (Object.keys(nested).length > 0) {
    if (upload || "input_reference" in values) {
      throw badRequest("Provide only one 'input_reference'.", "input_reference", "invalid_value")
    }
    values.input_reference = nested
  }
  return { values, upload }
}

const requireString = (values: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const v = values[key]
  if (v === undefined) return undefined
  if (typeof v !== "string") throw invalidType(key, "a string", v)
  return v
}

export const checkPrompt = (value: unknown): string => {
  if (value === undefined || value === null) throw missingParameter("prompt")
  if (typeof value !== "string") throw invalidType("prompt", "a string", value)
  if (value.length === 0) {
    throw badRequest(
      "Invalid 'prompt': string too short. Expected a string with minimum length 1, but got an empty string instead.",
      "prompt",
      "string_below_min_length"
    )
  }
  if (value.length > MAX_PROMPT) {
    throw badRequest(
      `Invalid 'prompt': string too long. Expected a string with maximum length ${MAX_PROMPT}, but got a string with length ${value.length} instead.`,
      "prompt",
      "string_above_max_length"
    )
  }
  return value
}

const checkReference = (raw: RawCreate): ReferenceSource | undefined => {
  if (raw.upload) return { kind: "upload", file: raw.upload }
  const ref = raw.values.input_reference
  if (ref === undefined) return undefined
  if (typeof ref !== "object" || ref === null || Array.isArray(ref)) {
    throw invalidType("input_reference", "an object", ref)
  }
  const obj = ref as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (key !== "image_url" && key !== "file_id") throw unknownParameter(`input_reference.${key}`)
  }
  const imageUrl = obj.image_url
  const file = obj.file_id
  if ((imageUrl === undefined) === (file === undefined)) {
    throw badRequest(
      "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
      "input_reference",
      "invalid_value"
    )
  }
  if (imageUrl !== undefined) {
    if (typeof imageUrl !== "string") throw invalidType("input_reference.image_url", "a string", imageUrl)
    return { kind: "image_url", url: imageUrl }
  }
  if (typeof file !== "string") throw invalidType("input_reference.file_id", "a string", file)
  return { kind: "file_id", id: file }
}

export const checkCreate = (raw: RawCreate, models: ModelTable): CreateRequest => {
  const prompt = checkPrompt(raw.values.prompt)
  const model = requireString(raw.values, "model") ?? DEFAULT_MODEL
  const spec = models[model]
  if (!spec) throw invalidValue("model", model, Object.keys(models))
  const secondsRaw = raw.values.seconds
  if (secondsRaw !== undefined && typeof secondsRaw !== "string") {
    throw invalidType("seconds", `one of ${quotedList(spec.seconds, "or")}`, secondsRaw)
  }
  const seconds = secondsRaw ?? defaultSecondsOf(spec)
  if (!spec.seconds.includes(seconds)) throw invalidValue("seconds", seconds, spec.seconds)
  const size = requireString(raw.values, "size") ?? spec.sizes[0] ?? "720x1280"
  if (!spec.sizes.includes(size)) throw invalidValue("size", size, spec.sizes)
  return { prompt, model, seconds, size, reference: checkReference(raw) }
}

export const checkRemix = (body: unknown): string => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("Invalid request body: expected a JSON object.", null, "invalid_type")
  }
  for (const key of Object.keys(body)) if (key !== "prompt") throw unknownParameter(key)
  return checkPrompt((body as Record<string, unknown>).prompt)
}
