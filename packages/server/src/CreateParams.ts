/**
 * `POST /v1/videos` fields → core's request. The contract's fields (`prompt`, `model`, `seconds`,
 * `size`, `input_reference`) plus LongSora's own as extra body fields: `segments` (or
 * `num_generations`), `durations`, `plan_model`, `chain` (a strategy, or a boolean for `mode`), `transition`, `plan`. Only
 * the shape is checked here; what may be asked of the model is core's validation's to say.
 */
import { DurationSolver, LongVideoRequest, Plan, SegmentGenerator, Transition } from "@longsora/core"
import { Effect, Option, Result, Schema } from "effect"
import { type ApiError, fromValidation, invalidRequest } from "./ApiError.ts"

export const knownFields = [
  "prompt",
  "model",
  "seconds",
  "size",
  "input_reference",
  "segments",
  "num_generations",
  "durations",
  "plan_model",
  "chain",
  "mode",
  "transition",
  "plan"
] as const

/** The create request, shape-checked; `seconds` may still be unformable, `size` unknown, …. */
export interface CreateParams {
  readonly prompt: string
  readonly model: string
  readonly seconds?: number | undefined
  readonly size?: string | undefined
  readonly numGenerations?: number | undefined
  readonly durations?: ReadonlyArray<number> | undefined
  readonly planModel?: string | undefined
  readonly mode?: LongVideoRequest.Mode | undefined
  /** How chained segments continue one another (`chain` given as a strategy). */
  readonly chain?: LongVideoRequest.ChainStrategy | undefined
  readonly transition?: string | undefined
  readonly plan?: Plan.Plan | undefined
  /** `{ image_url }` given in the body (an uploaded file comes beside the fields). */
  readonly imageUrl?: string | undefined
}

const defaultModel = "sora-2"
/** The contract's default length when `seconds` is left out. */
const defaultSeconds = 4

const wholeNumber = (name: string, value: unknown) => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof n === "number" && Number.isInteger(n) && n > 0
    ? Effect.succeed(n)
    : Effect.fail(
        invalidRequest(
          `Invalid value for '${name}': ${JSON.stringify(value)}. Expected a whole number greater than 0, e.g. "24".`,
          name
        )
      )
}

const text = (name: string, value: unknown) =>
  typeof value === "string"
    ? Effect.succeed(value)
    : Effect.fail(
        invalidRequest(
          `Invalid type for '${name}': expected a string, but got ${typeof value} instead.`,
          name,
          "invalid_type"
        )
      )

const durationsOf = (value: unknown) => {
  const list =
    typeof value === "string"
      ? value.trim().startsWith("[")
        ? Result.getOrElse(
            Result.try(() => JSON.parse(value) as unknown),
            () => value
          )
        : value.split(",")
      : value
  if (!Array.isArray(list) || list.length === 0) {
    return Effect.fail(
      invalidRequest(
        `Invalid value for 'durations': ${JSON.stringify(value)}. Expected clip lengths such as [12, 8, 4] or "12,8,4".`,
        "durations"
      )
    )
  }
  return Effect.forEach(list, (item) => wholeNumber("durations", typeof item === "string" ? item.trim() : item))
}

const decodePlan = Schema.decodeUnknownEffect(Plan.Plan)

/** Form fields carry every value as text: a segment's `seconds` of "8" is the number 8. */
const withNumericSeconds = (plan: unknown): unknown => {
  const segments = (plan as { segments?: unknown } | null)?.segments
  if (!Array.isArray(segments)) return plan
  return {
    ...(plan as object),
    segments: segments.map((segment: unknown) => {
      const seconds = (segment as { seconds?: unknown } | null)?.seconds
      return typeof seconds === "string" && /^\d+$/.test(seconds)
        ? { ...(segment as object), seconds: Number(seconds) }
        : segment
    })
  }
}

const planOf = (value: unknown) => {
  const parsed =
    typeof value === "string"
      ? Result.getOrElse(
          Result.try(() => JSON.parse(value) as unknown),
          () => value
        )
      : value
  return decodePlan(withNumericSeconds(parsed)).pipe(
    Effect.mapError((error) =>
      invalidRequest(
        `Invalid value for 'plan': ${error.message}. Expected {"brief": string, "segments": [{"prompt": string, "seconds": number}, …]}.`,
        "plan"
      )
    )
  )
}

const isStrategy = Schema.is(LongVideoRequest.ChainStrategy)
const chainValues = ["true", "false", ...LongVideoRequest.ChainStrategy.literals.map((s) => `'${s}'`)]

/** `chain`: true or false, or how chained segments continue one another (a strategy). */
const chainOf = (value: unknown): Effect.Effect<boolean | LongVideoRequest.ChainStrategy, ApiError> => {
  if (isStrategy(value) || typeof value === "boolean") return Effect.succeed(value)
  if (value === "true" || value === "false") return Effect.succeed(value === "true")
  return Effect.fail(
    invalidRequest(
      `Invalid value for 'chain': ${JSON.stringify(value)}. Supported values are: ${chainValues.slice(0, -1).join(", ")} and ${chainValues.at(-1)}.`,
      "chain"
    )
  )
}

/**
 * The mode and chain strategy from `mode` and/or `chain`: `chain: false` is `mode: "independent"`;
 * `true` or a strategy is chained. The two must agree.
 */
const modeOf = (fields: Record<string, unknown>) =>
  Effect.gen(function* () {
    const mode =
      fields.mode === undefined
        ? undefined
        : fields.mode === "chained" || fields.mode === "independent"
          ? fields.mode
          : yield* invalidRequest(
              `Invalid value for 'mode': ${JSON.stringify(fields.mode)}. Supported values are: 'chained' and 'independent'.`,
              "mode"
            )
    const chain = fields.chain === undefined ? undefined : yield* chainOf(fields.chain)
    const fromChain: LongVideoRequest.Mode | undefined =
      chain === undefined ? undefined : chain === false ? "independent" : "chained"
    if (mode !== undefined && fromChain !== undefined && mode !== fromChain) {
      return yield* invalidRequest(
        typeof chain === "string"
          ? `'chain' is '${chain}' but 'mode' is '${mode}': a chain strategy continues each segment from the previous one. Leave 'mode' out (or give 'chained'), or leave 'chain' out for independent segments.`
          : `'chain' is ${chain} but 'mode' is '${mode}'. Give one of them (chain: false means mode: 'independent').`,
        "chain"
      )
    }
    return { mode: mode ?? fromChain, chain: typeof chain === "string" ? chain : undefined }
  })

const imageUrlOf = (value: unknown) => {
  if (typeof value === "object" && value !== null && "image_url" in value) {
    return text("input_reference[image_url]", (value as { image_url: unknown }).image_url)
  }
  if (typeof value === "object" && value !== null && "file_id" in value) {
    return Effect.fail(
      invalidRequest(
        "This server has no Files API: 'input_reference[file_id]' cannot be used. Upload the image as the 'input_reference' file, or give it as { image_url: 'data:image/png;base64,…' }.",
        "input_reference"
      )
    )
  }
  return Effect.fail(
    invalidRequest(
      "Invalid 'input_reference': expected an uploaded image file (multipart) or { image_url }.",
      "input_reference"
    )
  )
}

/** Checks the fields' names and types. */
export const parse = Effect.fnUntraced(function* (fields: Record<string, unknown>) {
  const unknown = Object.keys(fields).find((key) => !(knownFields as ReadonlyArray<string>).includes(key))
  if (unknown !== undefined) {
    return yield* invalidRequest(
      `Unknown parameter: '${unknown}'. Accepted: ${knownFields.join(", ")}.`,
      unknown,
      "unknown_parameter"
    )
  }
  if (fields.prompt === undefined || fields.prompt === "") {
    return yield* invalidRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
  }
  const given = <A, E>(name: string, f: (value: unknown) => Effect.Effect<A, E>) =>
    fields[name] === undefined ? Effect.succeed(undefined) : f(fields[name])
  const segments = yield* given("segments", (v) => wholeNumber("segments", v))
  const numGenerations = yield* given("num_generations", (v) => wholeNumber("num_generations", v))
  if (segments !== undefined && numGenerations !== undefined && segments !== numGenerations) {
    return yield* invalidRequest(
      `'segments' (${segments}) and 'num_generations' (${numGenerations}) differ; they are the same setting. Give one.`,
      "segments"
    )
  }
  const transition = yield* given("transition", (v) => text("transition", v))
  if (transition !== undefined && Transition.parse(transition) === undefined) {
    return yield* invalidRequest(
      `Invalid value for 'transition': '${transition}'. Supported values are: 'cut', 'keep', 'crossfade' and 'crossfade:SECONDS' (e.g. 'crossfade:0.5').`,
      "transition"
    )
  }
  const { mode, chain } = yield* modeOf(fields)
  const params: CreateParams = {
    prompt: yield* text("prompt", fields.prompt),
    model: (yield* given("model", (v) => text("model", v))) ?? defaultModel,
    seconds: yield* given("seconds", (v) => wholeNumber("seconds", v)),
    size: yield* given("size", (v) => text("size", v)),
    numGenerations: segments ?? numGenerations,
    durations: yield* given("durations", durationsOf),
    planModel: yield* given("plan_model", (v) => text("plan_model", v)),
    mode,
    chain,
    transition,
    plan: yield* given("plan", planOf),
    imageUrl: yield* given("input_reference", imageUrlOf)
  }
  return params
})

/**
 * The number of segments when none is asked: the fewest clips the model can make `seconds` of
 * (fewest seams, fewest calls), found with core's solver; with `chain: "extend"`, a first clip and
 * the fewest extensions. Undefined when no count works, so core's validation explains why.
 */
const fewestSegments = Effect.fnUntraced(function* (
  model: string,
  seconds: number,
  chain: LongVideoRequest.ChainStrategy | undefined
) {
  const capabilities = yield* (yield* SegmentGenerator.SegmentGenerator)
    .capabilities(model)
    .pipe(Effect.mapError(fromValidation))
  const extension = chain === "extend" ? capabilities.extension : undefined
  const most = extension ? extension.maxExtensions + 1 : seconds
  for (let count = 1; count <= most; count++) {
    const split = extension
      ? DurationSolver.solveExtended({
          seconds,
          count,
          first: capabilities.clipLengths,
          extension: extension.clipLengths,
          maxCount: most,
          maxSeconds: extension.maxTotalSeconds
        })
      : DurationSolver.solve({ seconds, count, clipLengths: capabilities.clipLengths })
    if (Result.isSuccess(split)) return Option.some(count)
  }
  return Option.none<number>()
})

/** How many segments to ask core for, when the request leaves it open. */
export const segmentCount = Effect.fnUntraced(function* (params: CreateParams) {
  if (params.numGenerations !== undefined || params.durations !== undefined || params.plan !== undefined) {
    return params.numGenerations
  }
  const fewest = yield* fewestSegments(params.model, params.seconds ?? defaultSeconds, params.chain)
  return Option.getOrUndefined(fewest)
})

export const secondsOf = (params: CreateParams): number | undefined =>
  params.seconds ?? (params.durations === undefined && params.plan === undefined ? defaultSeconds : undefined)

/** A transition text that is known to parse (checked in `parse`). */
export const transitionOf = (text: string | undefined): Transition.Transition | undefined =>
  text === undefined ? undefined : Transition.parse(text)
