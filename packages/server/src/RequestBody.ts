/**
 * A create request's body as one nested object, whether it came as JSON or as multipart/form-data
 * (what the `openai` package sends since 6.28: nested objects as bracketed keys such as
 * `plan[segments][][prompt]`, arrays as `durations[]`). An uploaded `input_reference` is kept as a
 * file part, valid for the request's scope.
 */
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, HttpServerRequest, Multipart } from "effect/http"
import { ApiError, invalidRequest } from "./ApiError.ts"

export interface Limits {
  /** JSON bodies and each multipart text field. */
  readonly maxBodyBytes: number
  /** An uploaded file. */
  readonly maxUploadBytes: number
}

export interface UploadedFile {
  readonly path: string
  readonly contentType: string
  readonly name: string
}

export interface Body {
  readonly fields: Record<string, unknown>
  readonly file?: UploadedFile | undefined
}

const tooLarge = (what: string, limit: number) =>
  new ApiError({
    status: 413,
    message: `The ${what} is larger than this server accepts (${limit} bytes). Send less, or ask the operator to raise the limit.`,
    type: "invalid_request_error",
    param: null,
    code: "request_too_large"
  })

/** `plan[segments][][prompt]` → `["plan", "segments", "", "prompt"]`. */
const pathOf = (key: string): Array<string> => {
  const head = key.indexOf("[")
  if (head < 0) return [key]
  const rest = [...key.slice(head).matchAll(/\[([^\]]*)\]/g)].map((match) => match[1]!)
  return [key.slice(0, head), ...rest]
}

/**
 * Sets `value` at `path` in `target`. An empty segment (`[]`) is an array index: the `index`-th
 * value of a repeated key lands in the `index`-th element, so parallel keys line up.
 */
const setPath = (target: Record<string, unknown>, path: ReadonlyArray<string>, index: number, value: unknown) => {
  let node: Record<string, unknown> | Array<unknown> = target
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!
    const last = i === path.length - 1
    const key: string | number = segment === "" ? index : segment
    if (last) {
      ;(node as Record<string | number, unknown>)[key] = value
      return
    }
    const next: unknown = (node as Record<string | number, unknown>)[key]
    const child = next ?? (path[i + 1] === "" ? [] : {})
    ;(node as Record<string | number, unknown>)[key] = child
    node = child as Record<string, unknown>
  }
}

/** Multipart fields (repeated keys as arrays) as one nested object. */
export const nest = (flat: Readonly<Record<string, string | ReadonlyArray<string>>>): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(flat)) {
    const path = pathOf(key)
    const values = typeof value === "string" ? [value] : value
    if (path.includes("")) {
      values.forEach((v, index) => {
        setPath(result, path, index, v)
      })
    } else setPath(result, path, 0, values.length === 1 ? values[0] : values)
  }
  return result
}

/** A parsed JSON body as its fields; a 400 unless it is an object. */
const objectFields = (json: unknown) =>
  typeof json !== "object" || json === null || Array.isArray(json)
    ? Effect.fail(invalidRequest("The request body must be a JSON object.", null, "invalid_json"))
    : Effect.succeed(json as Record<string, unknown>)

const readJson = (limits: Limits) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const json = yield* request.json.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limits.maxBodyBytes)),
      Effect.mapError((error) =>
        (error as { reason?: unknown }).reason === "BodyTooLarge" ||
        String((error as { cause?: unknown }).cause ?? "").includes("too large")
          ? tooLarge("request body", limits.maxBodyBytes)
          : invalidRequest(
              "We could not parse the JSON body of your request. Send a JSON object, or multipart/form-data.",
              null,
              "invalid_json"
            )
      )
    )
    const body: Body = { fields: yield* objectFields(json) }
    return body
  })

const readMultipart = (limits: Limits) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const persisted = yield* request.multipart.pipe(
      Effect.provide(
        Multipart.limitsServices({
          maxFieldSize: limits.maxBodyBytes,
          maxFileSize: limits.maxUploadBytes,
          maxTotalSize: limits.maxUploadBytes + limits.maxBodyBytes,
          maxParts: 200
        })
      ),
      Effect.mapError((error) => {
        const reason = error.reason._tag
        if (reason === "FileTooLarge") return tooLarge("uploaded file", limits.maxUploadBytes)
        if (reason === "FieldTooLarge" || reason === "BodyTooLarge")
          return tooLarge("request body", limits.maxBodyBytes)
        if (reason === "TooManyParts") return invalidRequest("Too many form fields.", null, "invalid_request")
        return invalidRequest("We could not parse the multipart body of your request.", null, "invalid_multipart")
      })
    )
    const texts: Record<string, string | ReadonlyArray<string>> = {}
    let file: UploadedFile | undefined
    for (const [key, value] of Object.entries(persisted)) {
      if (typeof value === "string") texts[key] = value
      else if (value.length > 0 && Multipart.isPersistedFile(value[0])) {
        if (key !== "input_reference" || value.length > 1) {
          return yield* invalidRequest(
            `Unexpected file in '${key}'. Only one file is accepted, as 'input_reference'.`,
            key,
            "invalid_file"
          )
        }
        const part = value[0]
        file = { path: part.path, contentType: part.contentType, name: part.name }
      } else texts[key] = value as ReadonlyArray<string>
    }
    const body: Body = { fields: nest(texts), file }
    return body
  })

/** The body of the current request, within the limits. */
export const read = (limits: Limits) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const length = Number(request.headers["content-length"] ?? 0)
    const type = request.headers["content-type"] ?? ""
    if (type.startsWith("multipart/form-data")) {
      if (length > limits.maxUploadBytes + limits.maxBodyBytes) return yield* tooLarge("upload", limits.maxUploadBytes)
      return yield* readMultipart(limits)
    }
    if (length > limits.maxBodyBytes) return yield* tooLarge("request body", limits.maxBodyBytes)
    if (type.startsWith("application/json") || type === "") return yield* readJson(limits)
    return yield* invalidRequest(
      `Unsupported content type '${type}'. Send application/json or multipart/form-data.`,
      null,
      "unsupported_content_type"
    )
  })

/** A body that may be absent (or empty) or a JSON object, within the limits: its fields, `{}` when none. */
export const readOptionalJson = (limits: Limits) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const length = Number(request.headers["content-length"] ?? 0)
    if (length > limits.maxBodyBytes) return yield* tooLarge("request body", limits.maxBodyBytes)
    const type = request.headers["content-type"] ?? ""
    const text = yield* request.text.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limits.maxBodyBytes)),
      Effect.mapError(() => tooLarge("request body", limits.maxBodyBytes))
    )
    if (text.trim() === "") return {} as Record<string, unknown>
    if (type !== "" && !type.startsWith("application/json")) {
      return yield* invalidRequest(
        `Unsupported content type '${type}'. Send application/json, or no body.`,
        null,
        "unsupported_content_type"
      )
    }
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () =>
        invalidRequest("We could not parse the JSON body of your request. Send a JSON object.", null, "invalid_json")
    })
    return yield* objectFields(json)
  })
