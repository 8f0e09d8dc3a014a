/**
 * The OpenAI error envelope `{error:{message,type,param,code}}` as a tagged error, plus
 * constructors for the rows of the contract's error table (§2.11) so wording stays in one place.
 */
import { Data } from "effect"

export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
  readonly headers?: Readonly<Record<string, string>>
}> {}

export const envelope = (e: ApiError) => ({
  error: { message: e.message, type: e.type, param: e.param, code: e.code }
})

const invalidRequest = (status: number, message: string, param: string | null, code: string | null) =>
  new ApiError({ status, message, type: "invalid_request_error", param, code })

/** `'4', '8', and '12'` — OpenAI's list wording. */
export const quotedList = (values: ReadonlyArray<string>, conjunction = "and"): string => {
  const q = values.map((v) => `'${v}'`)
  if (q.length <= 1) return q.join("")
  if (q.length === 2) return `${q[0]} ${conjunction} ${q[1]}`
  return `${q.slice(0, -1).join(", ")}, ${conjunction} ${q[q.length - 1]}`
}

export const invalidValue = (param: string, value: string, allowed: ReadonlyArray<string>) =>
  invalidRequest(
    400,
    `Invalid value: '${value}'. Supported values are: ${quotedList(allowed)}.`,
    param,
    "invalid_value"
  )

const typeName = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal"
  if (typeof value === "boolean") return "a boolean"
  if (typeof value === "object") return "an object"
  return "a string"
}

export const invalidType = (param: string, expected: string, value: unknown) =>
  invalidRequest(
    400,
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`,
    param,
    "invalid_type"
  )

export const unknownParameter = (param: string) =>
  invalidRequest(400, `Unknown parameter: '${param}'.`, param, "unknown_parameter")

export const missingParameter = (param: string) =>
  invalidRequest(400, `Missing required parameter: '${param}'.`, param, "missing_required_parameter")

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  invalidRequest(400, message, param, code)

/** A body over one of the emulator's bounds (Limits.ts): 413, the request never reaches a handler's logic. */
export const requestTooLarge = (maxBytes: number) =>
  invalidRequest(413, `Request body too large: at most ${maxBytes} bytes are accepted.`, null, "request_too_large")

export const notFound = (message: string, param: string | null = null) => invalidRequest(404, message, param, null)

export const videoNotFound = (id: string) => notFound(`Video with id '${id}' not found.`, "video_id")

export const notReady = () => notFound("Video is not ready yet, use GET /v1/videos/{video_id} to check status.", null)

/** Expired downloads: the real status/text are unknown; we answer 404 like other missing content. */
export const contentExpired = (id: string) =>
  notFound(`The content for video '${id}' has expired and is no longer available.`, "video_id")

export const missingKey = () =>
  invalidRequest(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    null,
    null
  )

const maskKey = (key: string): string =>
  key.length <= 8
    ? "*".repeat(key.length)
    : `${key.slice(0, 3)}${"*".repeat(Math.min(key.length - 7, 24))}${key.slice(-4)}`

export const badKey = (key: string) =>
  invalidRequest(
    401,
    `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    null,
    "invalid_api_key"
  )

export const rateLimited = (model: string, retryAfterMs: number) =>
  new ApiError({
    status: 429,
    message: `Rate limit reached for ${model} in organization org-emulator on requests per min (RPM): Limit 25, Used 25, Requested 1. Please try again in ${(retryAfterMs / 1000).toFixed(3)}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    type: "requests",
    param: null,
    code: "rate_limit_exceeded",
    headers: {
      "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      "retry-after-ms": String(retryAfterMs),
      "x-ratelimit-limit-requests": "25",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": `${retryAfterMs}ms`
    }
  })

export const tooManyRunningTasks = () =>
  new ApiError({
    status: 429,
    message: "Too many running tasks",
    type: "video_generation_user_error",
    param: null,
    code: null
  })

export const serverError = (status: number) =>
  new ApiError({
    status,
    message:
      status === 503
        ? "The engine is currently overloaded, please try again later."
        : "The server had an error while processing your request. Sorry about that!",
    type: "server_error",
    param: null,
    code: null
  })

export const unsupportedMime = (mime: string) =>
  badRequest(
    `Invalid file 'input_reference': unsupported mimetype ('${mime}'). Supported file formats are 'image/jpeg', 'image/png', 'image/webp', and 'video/mp4'.`,
    "input_reference",
    "unsupported_file_mimetype"
  )

export const referenceSizeMismatch = () =>
  badRequest("Inpaint image must match the requested width and height", "input_reference", "invalid_value")

export const invalidJsonBody = () =>
  badRequest(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
  )
