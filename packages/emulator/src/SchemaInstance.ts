/**
 * Builds a deterministic JSON value valid against a JSON Schema (the subset structured outputs
 * use: object/array/enum/const, type arrays incl. "null", `nullable`, anyOf/oneOf/allOf,
 * $ref into $defs/definitions, min/maxItems, minimum/maximum, min/maxLength). Strings and numbers
 * are filled from the planner's story so the plan reads like one.
 */
import { keyframeText, type StoryRequest, segmentText, titleOf } from "./Story.ts"

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

interface Ctx {
  readonly root: Json
  readonly story: StoryRequest
  /** Property name this value sits under. */
  readonly key: string
  /** Position of the enclosing story item (segment), and how many there are. */
  readonly index: number
  readonly count: number
  readonly depth: number
}

const PROMPTISH = /prompt|description|scene|visual|action|shot|text|narration|content|caption|summary|story/i
const SECONDSISH = /seconds|duration|length/i
const KEYFRAMES = /keyframe/i
const MAX_DEPTH = 12

const resolve = (schema: Json, root: Json): Json => {
  let s = schema
  for (let i = 0; i < 16 && typeof s.$ref === "string"; i++) {
    const ref = s.$ref as string
    if (ref === "#") {
      s = root
      continue
    }
    const parts = ref
      .replace(/^#\//, "")
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    let target: unknown = root
    for (const p of parts) target = isObject(target) ? target[p] : undefined
    s = isObject(target) ? { ...target, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) } : {}
  }
  return s
}

const typesOf = (schema: Json): Array<string> =>
  Array.isArray(schema.type) ? (schema.type as Array<string>) : typeof schema.type === "string" ? [schema.type] : []

/** Does an array's item schema describe story segments (objects with a prompt-like string)? */
const isSegmentList = (items: unknown, root: Json): boolean => {
  if (!isObject(items)) return false
  const s = resolve(items, root)
  const props = isObject(s.properties) ? s.properties : {}
  return Object.keys(props).some((k) => PROMPTISH.test(k))
}

const clampCount = (want: number, schema: Json): number => {
  const min = typeof schema.minItems === "number" ? schema.minItems : 0
  const max = typeof schema.maxItems === "number" ? schema.maxItems : Number.POSITIVE_INFINITY
  return Math.max(min, Math.min(max, want))
}

const number = (schema: Json, ctx: Ctx, integer: boolean): number => {
  let want = 1
  if (SECONDSISH.test(ctx.key)) want = ctx.story.seconds?.[ctx.index] ?? ctx.story.seconds?.[0] ?? 4
  else if (/index|number|order|position/i.test(ctx.key)) want = ctx.index + 1
  else if (/count|segments/i.test(ctx.key)) want = ctx.story.segments ?? 3
  const step = integer ? 1 : 0.5
  let lo = -Number.MAX_SAFE_INTEGER
  let hi = Number.MAX_SAFE_INTEGER
  if (typeof schema.minimum === "number") lo = schema.minimum
  if (typeof schema.exclusiveMinimum === "number") lo = schema.exclusiveMinimum + step
  if (typeof schema.maximum === "number") hi = schema.maximum
  if (typeof schema.exclusiveMaximum === "number") hi = schema.exclusiveMaximum - step
  let v = Math.max(lo, Math.min(hi, want))
  if (integer) v = Math.max(Math.ceil(lo), Math.min(Math.floor(hi), Math.round(v)))
  if (typeof schema.multipleOf === "number" && schema.multipleOf > 0) {
    v = Math.ceil(v / schema.multipleOf) * schema.multipleOf
  }
  return v
}

const string = (schema: Json, ctx: Ctx): string => {
  switch (schema.format) {
    case "date-time":
      return "2026-01-01T00:00:00Z"
    case "date":
      return "2026-01-01"
    case "uri":
    case "url":
      return "https://example.com/"
    case "email":
      return "emulator@example.com"
    case "uuid":
      return "00000000-0000-4000-8000-000000000000"
  }
  let s: string
  if (KEYFRAMES.test(ctx.key)) s = keyframeText(ctx.story, ctx.index, Math.max(1, ctx.count))
  else if (/title|name|headline/i.test(ctx.key)) s = titleOf(ctx.story)
  else if (PROMPTISH.test(ctx.key) || ctx.count > 0) s = segmentText(ctx.story, ctx.index, Math.max(1, ctx.count))
  else s = ctx.story.idea
  const min = typeof schema.minLength === "number" ? schema.minLength : 0
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Number.POSITIVE_INFINITY
  if (s.length > max) s = s.slice(0, max)
  while (s.length < min) s += " and more"
  return s.length > max ? s.slice(0, max) : s
}

/** The enum value to use: the story's seconds when it is a seconds enum, else the first. */
const pickEnum = (values: ReadonlyArray<unknown>, ctx: Ctx): unknown => {
  if (SECONDSISH.test(ctx.key)) {
    const want = ctx.story.seconds?.[ctx.index]
    const hit = values.find((v) => v === want || v === String(want))
    if (hit !== undefined) return hit
  }
  return values[0]
}

export const generate = (schema: unknown, ctx: Ctx): unknown => {
  if (!isObject(schema)) return null
  const s = resolve(schema, ctx.root)
  if ("const" in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return pickEnum(s.enum, ctx)
  for (const key of ["anyOf", "oneOf"] as const) {
    const list = s[key]
    if (Array.isArray(list) && list.length > 0) {
      // Prefer a non-null branch so the output carries content.
      const branch =
        list.find(
          (b) =>
            !(
              isObject(b) &&
              typesOf(resolve(b, ctx.root)).every((t) => t === "null") &&
              typesOf(resolve(b, ctx.root)).length > 0
            )
        ) ?? list[0]
      return generate(branch, ctx)
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const merged = Object.assign({}, ...s.allOf.map((b) => (isObject(b) ? resolve(b, ctx.root) : {})))
    return generate(merged, ctx)
  }
  const types = typesOf(s)
  const type =
    types.find((t) => t !== "null") ??
    (types.includes("null") ? "null" : isObject(s.properties) ? "object" : s.items !== undefined ? "array" : "string")
  if (ctx.depth > MAX_DEPTH) return types.includes("null") || s.nullable === true ? null : type === "array" ? [] : null
  switch (type) {
    case "null":
      return null
    case "boolean":
      return true
    case "integer":
      return number(s, ctx, true)
    case "number":
      return number(s, ctx, false)
    case "string":
      return string(s, ctx)
    case "array": {
      // Keyframes (`chain: keyframes`) are one per seam and both ends: one more than the segments.
      const keyframes = KEYFRAMES.test(ctx.key)
      const segments = keyframes || isSegmentList(s.items, ctx.root)
      const want = segments ? (ctx.story.segments ?? 3) + (keyframes ? 1 : 0) : 1
      const count = clampCount(want, s)
      return Array.from({ length: count }, (_, i) =>
        generate(s.items, {
          ...ctx,
          index: segments ? i : ctx.index,
          count: segments ? count : ctx.count,
          depth: ctx.depth + 1
        })
      )
    }
    default: {
      const props = isObject(s.properties) ? s.properties : {}
      const out: Json = {}
      for (const [key, sub] of Object.entries(props)) out[key] = generate(sub, { ...ctx, key, depth: ctx.depth + 1 })
      return out
    }
  }
}

/** An instance of `schema` for the given story. */
export const instanceOf = (schema: unknown, story: StoryRequest): unknown =>
  generate(schema, { root: isObject(schema) ? schema : {}, story, key: "", index: 0, count: 0, depth: 0 })
