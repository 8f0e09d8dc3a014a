/**
 * The checks OpenAI applies to a `json_schema` format with `strict: true`: an object root, and on
 * every object `additionalProperties: false` plus `required` naming every property. Failures are
 * the 400 `invalid_json_schema` on `text.format.schema`.
 */
import { ApiError } from "./ApiError.ts"

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

const fail = (name: string, path: ReadonlyArray<string>, detail: string) =>
  new ApiError({
    status: 400,
    message: `Invalid schema for response_format '${name}': In context=(${path.map((p) => `'${p}'`).join(", ")}${path.length === 1 ? "," : ""}), ${detail}`,
    type: "invalid_request_error",
    param: "text.format.schema",
    code: "invalid_json_schema"
  })

const typesOf = (schema: Json): ReadonlyArray<string> =>
  Array.isArray(schema.type) ? (schema.type as Array<string>) : typeof schema.type === "string" ? [schema.type] : []

const walk = (name: string, schema: unknown, path: ReadonlyArray<string>): void => {
  if (!isObject(schema)) return
  const props = isObject(schema.properties) ? schema.properties : undefined
  if (typesOf(schema).includes("object") || props) {
    if (schema.additionalProperties !== false) {
      throw fail(name, path, "'additionalProperties' is required to be supplied and to be false.")
    }
    const required = Array.isArray(schema.required) ? (schema.required as Array<unknown>) : undefined
    for (const key of Object.keys(props ?? {})) {
      if (!required?.includes(key)) {
        throw fail(
          name,
          path,
          `'required' is required to be supplied and to be an array including every key in properties. Missing '${key}'.`
        )
      }
    }
    for (const [key, sub] of Object.entries(props ?? {})) walk(name, sub, [...path, "properties", key])
  }
  if (schema.items !== undefined) walk(name, schema.items, [...path, "items"])
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const list = schema[key]
    if (Array.isArray(list)) for (const [i, sub] of list.entries()) walk(name, sub, [...path, key, String(i)])
  }
  for (const key of ["$defs", "definitions"] as const) {
    const defs = schema[key]
    if (isObject(defs)) for (const [k, sub] of Object.entries(defs)) walk(name, sub, [...path, key, k])
  }
}

export const checkStrict = (name: string, schema: unknown): void => {
  if (!isObject(schema)) {
    throw new ApiError({
      status: 400,
      message: `Invalid schema for response_format '${name}': schema must be a JSON Schema object.`,
      type: "invalid_request_error",
      param: "text.format.schema",
      code: "invalid_json_schema"
    })
  }
  const types = typesOf(schema)
  if (!types.includes("object") || schema.anyOf !== undefined) {
    throw new ApiError({
      status: 400,
      message: `Invalid schema for response_format '${name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${types.join(",") || "None"}"'.`,
      type: "invalid_request_error",
      param: "text.format.schema",
      code: "invalid_json_schema"
    })
  }
  walk(name, schema, [])
}
