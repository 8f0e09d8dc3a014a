/**
 * core's `KeyframeGenerator` over the OpenAI Images API (the official `openai` package):
 * `images.generate` renders a keyframe from text, `images.edit` renders one as an edit of the image
 * before it (the previous keyframe, or the user's reference), so the look holds from seam to seam.
 * Every call is one billed image and is synchronous, so a call whose answer was lost (a dropped
 * connection, a 5xx) is never sent again here: it fails, and core's manifest counts the image as
 * paid. Only a refusal before any work (429) is waited out and asked again.
 */
import { writeFile } from "node:fs/promises"
import { Errors, KeyframeGenerator } from "@longsora/core"
import { OpenAiClient, RetryPolicy } from "@longsora/openai-client"
import { Redaction, ReferenceImage } from "@longsora/provider-kit"
import { Data, Effect, Layer, Redacted } from "effect"
import { APIError, toFile } from "openai"
import * as ImageModels from "./ImageModels.ts"

export interface Options {
  /** The image model (default `ImageModels.DEFAULT_IMAGE_MODEL`). */
  readonly model?: string | undefined
  /** Models beyond the built-in table, or overriding its prices. */
  readonly models?: ReadonlyArray<ImageModels.ImageModelEntry> | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
}

/** Image calls can take a minute at high quality; longer than the client's default. */
export const IMAGE_TIMEOUT_MS = 180_000

class CallError extends Data.TaggedError("CallError")<{ readonly cause: unknown }> {}

/**
 * The entry for `model`, or an `UnknownModel` naming the models there are (as the AI SDK's image table does, so a
 * front-end that offers both can name every model in its own words).
 */
export const entryFor = (
  model: string,
  models: ReadonlyArray<ImageModels.ImageModelEntry> = []
): Effect.Effect<ImageModels.ImageModelEntry, Errors.UnknownModel> => {
  const table = ImageModels.table(models)
  const entry = table.get(model)
  return entry
    ? Effect.succeed(entry)
    : Effect.fail(
        new Errors.UnknownModel({
          model,
          known: [
            ...table.keys(),
            '(or declare it: OpenAiKeyframeGenerator.layer({ model, models: [{ model, usdPerImage: 0.04, sizes: ["1024x1024"], quality: "medium" }] }))'
          ]
        })
      )
}

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const { client, apiKey } = yield* OpenAiClient.OpenAiClient
  const entry = yield* entryFor(options.model ?? ImageModels.DEFAULT_IMAGE_MODEL, options.models)
  const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
  const scrub = (text: string) => Redaction.scrub(text, [Redacted.value(apiKey)])
  const model = entry.model

  const keyframeError = (index: number, cause: unknown): Errors.KeyframeError => {
    const base = { index, model, cause }
    if (cause instanceof APIError && cause.status !== undefined) {
      const inner = (cause.error ?? {}) as { message?: unknown; code?: unknown }
      const message = scrub(typeof inner.message === "string" ? inner.message : cause.message)
      const requestId = cause.requestID ?? undefined
      const withId = requestId ? { ...base, requestId } : base
      if (cause.status === 400 && inner.code === "moderation_blocked") {
        return new Errors.KeyframeError({
          ...withId,
          kind: "rejected",
          reason: `the image model refused the keyframe: ${message}`,
          fix: "Rephrase the keyframe in plan.json (no real people, logos or copyrighted characters), then run again."
        })
      }
      if (cause.status === 400 || cause.status === 404 || cause.status === 401 || cause.status === 403) {
        return new Errors.KeyframeError({
          ...withId,
          kind: "rejected",
          reason: `the Images API answered ${cause.status}: ${message}`,
          fix:
            cause.status === 401 || cause.status === 403
              ? "Check OPENAI_API_KEY (and OPENAI_BASE_URL for a gateway)."
              : "Check the image model (--image-model) and that your endpoint serves the Images API."
        })
      }
      return new Errors.KeyframeError({
        ...withId,
        kind: RetryPolicy.classify(cause).ambiguous ? "unavailable" : "failed",
        reason: `the Images API answered ${cause.status}: ${message}`,
        fix: "Run again later: keyframes already made are kept; this one may have been billed."
      })
    }
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    return new Errors.KeyframeError({
      ...base,
      kind: "unavailable",
      reason: scrub(`the Images API could not be reached or its answer was lost: ${text}`),
      fix: "Run again: keyframes already made are kept; this one may have been billed."
    })
  }

  /** One billed call; only a refusal before any work is asked again. */
  const call = <A>(index: number, send: (signal: AbortSignal) => Promise<A>) =>
    RetryPolicy.retrying(() => Effect.tryPromise({ try: send, catch: (cause) => new CallError({ cause }) }), {
      policy: retry,
      classify: (error) => {
        const classified = RetryPolicy.classify(error.cause)
        return classified.ambiguous ? { ...classified, retryable: false } : classified
      }
    }).pipe(Effect.mapError((error) => keyframeError(index, error.cause)))

  const readSource = (index: number, path: string) =>
    ReferenceImage.readImage(
      path,
      "the image to edit",
      (problem) => new Errors.KeyframeError({ index, model, kind: "rejected", ...problem })
    ).pipe(
      Effect.flatMap(({ bytes, type }) =>
        Effect.promise(() => toFile(bytes, `keyframe.${type.split("/")[1]}`, { type }))
      )
    )

  const generate = Effect.fn("OpenAiKeyframeGenerator.generate")(function* (spec: KeyframeGenerator.KeyframeSpec) {
    const size = ImageModels.sizeFor(entry, spec.size) as "1536x1024"
    const common = { model, prompt: spec.prompt, size, quality: entry.quality, output_format: "png" as const, n: 1 }
    const source = spec.source
    const answer =
      source === undefined
        ? yield* call(spec.index, (signal) =>
            client.images.generate(common, { signal, timeout: IMAGE_TIMEOUT_MS, maxRetries: 0 })
          )
        : yield* Effect.flatMap(readSource(spec.index, source), (image) =>
            call(spec.index, (signal) =>
              client.images.edit({ ...common, image }, { signal, timeout: IMAGE_TIMEOUT_MS, maxRetries: 0 })
            )
          )
    const b64 = answer.data?.[0]?.b64_json
    if (!b64) {
      return yield* new Errors.KeyframeError({
        index: spec.index,
        model,
        kind: "failed",
        reason: "the Images API answered without an image (no data[0].b64_json)",
        fix: "Check that your endpoint serves a GPT image model; URL answers (dall-e) are not supported."
      })
    }
    yield* Effect.tryPromise({
      try: () => writeFile(spec.destination, Buffer.from(b64, "base64")),
      catch: (cause) =>
        new Errors.KeyframeError({
          index: spec.index,
          model,
          kind: "failed",
          reason: `the keyframe could not be written to ${spec.destination}`,
          fix: "Check the output directory's permissions and free space.",
          cause
        })
    })
    return spec.destination
  })

  const { sizes: _sizes, quality: _quality, ...capabilities } = entry
  return KeyframeGenerator.KeyframeGenerator.of({ capabilities, generate })
})

/** The generator over an `OpenAiClient` you provide. */
export const layerWithClient = (
  options: Options = {}
): Layer.Layer<
  KeyframeGenerator.KeyframeGenerator,
  Errors.InvalidRequest | Errors.UnknownModel,
  OpenAiClient.OpenAiClient
> => Layer.effect(KeyframeGenerator.KeyframeGenerator, make(options))

/** The generator with its own client from explicit settings. */
export const layer = (options: Options & OpenAiClient.Options) =>
  layerWithClient(options).pipe(Layer.provide(OpenAiClient.layer(options)))

/** The generator configured from env (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, …); `options` override what is read. */
export const layerConfig = (options: Options & Partial<OpenAiClient.Options> = {}) =>
  layerWithClient(options).pipe(Layer.provide(OpenAiClient.layerConfig(options)))
