/**
 * Turns the command-line flags into core's request and, for `--clip-seconds`, the capabilities of a
 * model the user's gateway serves. Every malformed value is an `InvalidRequest` naming the flag.
 */
import { type Capabilities, Errors, LongVideoRequest, type Plan, Transition } from "@longsora/core"
import { Effect, Option } from "effect"

export interface RequestFlags {
  readonly seconds: Option.Option<number>
  readonly segments: Option.Option<number>
  readonly model: string
  readonly planModel: string
  readonly size: Option.Option<string>
  readonly inputReference: Option.Option<string>
  readonly durations: Option.Option<string>
  readonly clipSeconds: Option.Option<string>
  readonly usdPerSecond: Option.Option<number>
  readonly transition: Option.Option<string>
  readonly output: string
}

const invalid = (field: string, given: string, allowed: string, fix: string) =>
  new Errors.InvalidRequest({ field, given, allowed, fix })

const integerList = (flag: string, text: string): Effect.Effect<ReadonlyArray<number>, Errors.InvalidRequest> => {
  const parts = text.split(",").map((part) => part.trim())
  const values = parts.map(Number)
  return values.every((value, i) => parts[i] !== "" && Number.isInteger(value))
    ? Effect.succeed(values)
    : Effect.fail(invalid(`--${flag}`, text, "whole numbers separated by commas, e.g. 12,8,4", `Fix --${flag}.`))
}

/** `4,6,8` → a set; `4-15` → a range. */
export const parseClipSeconds = (text: string): Effect.Effect<Capabilities.ClipLengths, Errors.InvalidRequest> => {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text)
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])]
    return min > 0 && min <= max
      ? Effect.succeed({ _tag: "ClipLengthRange", min, max, step: 1 })
      : Effect.fail(invalid("--clip-seconds", text, "a range MIN-MAX with 0 < MIN ≤ MAX", "e.g. --clip-seconds 4-15"))
  }
  return integerList("clip-seconds", text).pipe(
    Effect.flatMap((values) =>
      values.length > 0 && values.every((v) => v > 0)
        ? Effect.succeed({ _tag: "ClipLengthSet", seconds: [values[0]!, ...values.slice(1)] } as const)
        : Effect.fail(invalid("--clip-seconds", text, "positive whole numbers, e.g. 4,6,8", "Fix --clip-seconds."))
    )
  )
}

/** Capabilities for a gateway model declared on the command line. */
export const declaredModel = Effect.fnUntraced(function* (flags: RequestFlags) {
  if (Option.isNone(flags.clipSeconds)) return undefined
  const clipLengths = yield* parseClipSeconds(flags.clipSeconds.value)
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

export const toRequest = Effect.fnUntraced(function* (
  prompt: string,
  flags: RequestFlags,
  extra: {
    readonly saveSegments: boolean
    readonly plan?: Plan.Plan | undefined
    readonly restart?: boolean | undefined
    readonly mode?: LongVideoRequest.Mode | undefined
    readonly maxConcurrency?: number | undefined
    readonly retryFailed?: number | undefined
    readonly recreateLost?: boolean | undefined
  }
) {
  const transition = Option.isSome(flags.transition) ? Transition.parse(flags.transition.value) : undefined
  if (Option.isSome(flags.transition) && !transition) {
    return yield* invalid(
      "--transition",
      flags.transition.value,
      "cut, keep, crossfade or crossfade:SECONDS",
      "e.g. --transition crossfade:0.5"
    )
  }
  const durations = Option.isSome(flags.durations) ? yield* integerList("durations", flags.durations.value) : undefined
  const customSplit = durations !== undefined || extra.plan !== undefined
  const numGenerations = Option.getOrElse(flags.segments, () =>
    customSplit ? undefined : LongVideoRequest.defaults.numGenerations
  )
  return new LongVideoRequest.LongVideoRequest({
    prompt,
    model: flags.model,
    planModel: flags.planModel,
    outputDir: flags.output,
    saveSegments: extra.saveSegments,
    ...(transition ? { transition } : {}),
    ...(Option.isSome(flags.seconds) ? { seconds: flags.seconds.value } : {}),
    ...(numGenerations === undefined ? {} : { numGenerations }),
    ...(durations === undefined ? {} : { durations: [...durations] }),
    ...(Option.isSome(flags.size) ? { size: flags.size.value } : {}),
    ...(Option.isSome(flags.inputReference) ? { inputReference: flags.inputReference.value } : {}),
    ...(extra.plan ? { plan: extra.plan } : {}),
    ...(extra.restart ? { restart: true } : {}),
    ...(extra.mode ? { mode: extra.mode } : {}),
    ...(extra.maxConcurrency === undefined ? {} : { maxConcurrency: extra.maxConcurrency }),
    ...(extra.retryFailed ? { retryFailed: extra.retryFailed } : {}),
    ...(extra.recreateLost ? { recreateLost: true } : {})
  })
})
