/**
 * Turns the command-line flags into core's request and, for `--clip-seconds`, the capabilities of a
 * model the user's gateway serves. Every malformed value is an `InvalidRequest` naming the field the
 * flag sets (`Messages` spells it as the flag).
 */
import { Capabilities, Errors, type LongVideoRequest } from "@longsora/core"
import type { CreateVideoParams } from "@longsora/sdk"
import { Effect, Option } from "effect"

export interface RequestFlags {
  readonly seconds: Option.Option<number>
  readonly segments: Option.Option<number>
  readonly model: string
  readonly planModel: string
  readonly size: Option.Option<string>
  readonly inputReference: Option.Option<string>
  readonly durations: Option.Option<string>
  readonly chain: Option.Option<LongVideoRequest.ChainStrategy>
  readonly clipSeconds: Option.Option<string>
  readonly usdPerSecond: Option.Option<number>
  readonly transition: Option.Option<string>
  readonly output: string
}

const invalid = (field: string, given: string, allowed: string, fix: string) =>
  new Errors.InvalidRequest({ field, given, allowed, fix })

const integerList = (field: string, text: string): Effect.Effect<ReadonlyArray<number>, Errors.InvalidRequest> => {
  const parts = text.split(",").map((part) => part.trim())
  const values = parts.map(Number)
  return values.every((value, i) => parts[i] !== "" && Number.isSafeInteger(value))
    ? Effect.succeed(values)
    : Effect.fail(invalid(field, text, "whole numbers separated by commas, e.g. 12,8,4", `Fix \`${field}\`.`))
}

/** `4,6,8` → a set; `4-15` → a range; each length from 1 to `maxClipSeconds`. */
export const parseClipSeconds = (text: string): Effect.Effect<Capabilities.ClipLengths, Errors.InvalidRequest> => {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text)
  const parsed: Effect.Effect<Capabilities.ClipLengths, Errors.InvalidRequest> = range
    ? Effect.succeed({ _tag: "ClipLengthRange", min: Number(range[1]), max: Number(range[2]), step: 1 })
    : integerList("clipSeconds", text).pipe(
        Effect.map((values) => ({ _tag: "ClipLengthSet", seconds: [values[0]!, ...values.slice(1)] }) as const)
      )
  return Effect.flatMap(parsed, (lengths) => {
    const problem = Capabilities.clipLengthsProblem(lengths)
    return problem === undefined
      ? Effect.succeed(lengths)
      : Effect.fail(
          invalid(
            "clipSeconds",
            text,
            `lengths 4,6,8 or a range MIN-MAX, each from 1 to ${Capabilities.maxClipSeconds} s`,
            `Fix \`clipSeconds\`: ${problem}.`
          )
        )
  })
}

const checkPrice = (usdPerSecond: number) =>
  Number.isFinite(usdPerSecond) && usdPerSecond >= 0
    ? Effect.void
    : Effect.fail(invalid("usdPerSecond", String(usdPerSecond), "a price of 0 or more USD per second", "e.g. 0.1"))

/** Capabilities for a gateway model declared on the command line. */
export const declaredModel = Effect.fnUntraced(function* (flags: RequestFlags) {
  if (Option.isNone(flags.clipSeconds)) return undefined
  const clipLengths = yield* parseClipSeconds(flags.clipSeconds.value)
  if (Option.isSome(flags.usdPerSecond)) yield* checkPrice(flags.usdPerSecond.value)
  const capabilities: Capabilities.ProviderCapabilities = {
    model: flags.model,
    clipLengths,
    sizes: [
      {
        size: Option.getOrElse(flags.size, () => "1280x720"),
        usdPerSecond: Option.getOrElse(flags.usdPerSecond, () => 0)
      }
    ],
    firstFrameImage: true,
    maxPromptLength: 32_000,
    maxConcurrentJobs: 2
  }
  return capabilities
})

/** What `generate` and `plan` set beside the request flags. */
export type RequestExtras = Pick<
  CreateVideoParams.CreateVideoParams,
  | "plan"
  | "restart"
  | "mode"
  | "maxConcurrency"
  | "retryFailed"
  | "recreateLost"
  | "force"
  | "anchor"
  | "maxDrift"
  | "audioSeam"
  | "audioSeamSeconds"
  | "includeReference"
> & { readonly saveSegments: boolean }

/**
 * The flags as the SDK's `createVideo` parameters, so the command line and the SDK (and the MCP
 * server, which uses the SDK's) share one translation into core's request, its defaults included.
 */
export const toRequest = Effect.fnUntraced(function* (prompt: string, flags: RequestFlags, extra: RequestExtras) {
  const durations = Option.isSome(flags.durations) ? yield* integerList("durations", flags.durations.value) : undefined
  // Loaded here, not with the module: `regenerate` and `serve` import this file, and `--help` should not load the
  // SDK with its providers (the openai client and the AI SDK, about 50 ms).
  const { CreateVideoParams: Params } = yield* Effect.promise(() => import("@longsora/sdk"))
  return yield* Params.toRequest({
    ...extra,
    prompt,
    model: flags.model,
    planModel: flags.planModel,
    outputDir: flags.output,
    seconds: Option.getOrUndefined(flags.seconds),
    numGenerations: Option.getOrUndefined(flags.segments),
    durations,
    size: Option.getOrUndefined(flags.size),
    inputReference: Option.getOrUndefined(flags.inputReference),
    // Checked by the translation, which names the field when it is none of the forms.
    transition: Option.getOrUndefined(flags.transition) as CreateVideoParams.CreateVideoParams["transition"],
    chain: Option.getOrUndefined(flags.chain)
  }).pipe(Effect.scoped)
})
