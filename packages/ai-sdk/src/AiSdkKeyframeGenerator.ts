/**
 * core's `KeyframeGenerator` (the image model of `chain: keyframes`) over an AI SDK image model
 * (`ImageModelV4`): Gemini image models through `@ai-sdk/google`, fal's Kontext through
 * `@ai-sdk/fal`, or any image model object you pass. Keyframe 0 is made from text (by the entry's
 * `fromText` model where the main one only edits); every later one is an edit of the previous
 * keyframe, sent as the call's input image. One call is one billed image: a 429 (refused before any
 * work) is waited out and asked again, a lost answer never is (core counts it as a lost image and
 * the rerun makes the keyframe once more). The provider package is imported on the first keyframe,
 * with its key and the image endpoint's base URL (from `connections`, else its env vars).
 */
import { writeFile } from "node:fs/promises"
import type { ImageModelV4, ImageModelV4CallOptions, JSONValue } from "@ai-sdk/provider"
import { Errors, KeyframeGenerator } from "@longsora/core"
import { Redaction, ReferenceImage, RetryPolicy } from "@longsora/provider-kit"
import { Effect, Layer, Redacted } from "effect"
import { aspectRatioOf } from "./AiSdkSegmentGenerator.ts"
import * as ImageModels from "./ImageModels.ts"
import * as ModelObjects from "./ModelObjects.ts"
import * as ProviderCall from "./ProviderCall.ts"
import { call, classifyCall } from "./ProviderCall.ts"
import * as Providers from "./Providers.ts"

type KeyframeSpec = KeyframeGenerator.KeyframeSpec

export interface Options {
  /**
   * The image model: a provider-prefixed id of the table (`google:gemini-2.5-flash-image`,
   * `fal:flux-pro/kontext`) or of `models`, or an AI SDK image model object (then `models` must
   * hold its entry, keyed by its prefixed id, for the price).
   */
  readonly model: string | ImageModelV4
  /** Entries beyond the built-in table, or overriding it (keyed by their provider-prefixed id). */
  readonly models?: ReadonlyArray<ImageModels.ImageModelEntry> | undefined
  /**
   * Key and base URL of each provider's image endpoint (`google`, `fal`, …); what is not given is
   * read from env (the provider's key variables; `GOOGLE_GENERATIVE_AI_BASE_URL`, `FAL_RUN_BASE_URL`).
   * Offline: `Providers.emulatorImageConnection(info, emulatorOrigin, apiKey)`.
   */
  readonly connections?: Readonly<Record<string, Partial<Providers.Connection>>> | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
}

/** The model object for one table entry: yours, or the provider package's (imported on first use). */
const resolver = (options: Options, secrets: Set<Redacted.Redacted<string>>) => {
  const resolved = new Map<string, { readonly model: ImageModelV4; readonly providerKey: string }>()
  return (index: number, id: string) => {
    const cached = resolved.get(id)
    if (cached) return Effect.succeed(cached)
    if (typeof options.model !== "string" && ModelObjects.imageModelId(options.model) === id) {
      const own = { model: options.model, providerKey: ModelObjects.providerPrefix(options.model.provider) }
      resolved.set(id, own)
      return Effect.succeed(own)
    }
    const ref = Providers.parseModelId(id)
    const endpoint = ref?.provider.images
    if (!ref || !endpoint) {
      return Effect.fail(
        new Errors.KeyframeError({
          index,
          kind: "rejected",
          reason: `"${id}" names no AI SDK image model LongSora can load`,
          fix: `Use a provider-prefixed id (${Providers.providers
            .filter((p) => p.images)
            .map((p) => `${p.id}:`)
            .join(", ")}), or pass the image model object as \`model\`.`
        })
      )
    }
    return Effect.gen(function* () {
      const connection = yield* Providers.connectionConfig(
        ref.provider,
        options.connections?.[ref.provider.id],
        endpoint.baseUrlEnv
      )
      if (connection.apiKey) secrets.add(connection.apiKey)
      const factory = yield* Providers.load(ref.provider)
      const instance = Providers.instantiate(ref.provider, factory, connection, new Map(), { for: "images" })
      const make = instance.imageModel ?? instance.image
      if (!make) {
        return yield* new Errors.MissingDependency({
          dependency: ref.provider.packageName,
          detail: "this version has no image models",
          fix: `Install a newer one: npm install ${ref.provider.packageName}@latest.`
        })
      }
      const model = make.call(instance, ImageModels.packageModelId(ref.provider.id, ref.modelId)) as ImageModelV4
      const entry = { model, providerKey: ref.provider.id }
      resolved.set(id, entry)
      return entry
    }).pipe(
      Effect.mapError(
        (error) =>
          new Errors.KeyframeError({
            index,
            kind: "rejected",
            reason: error.message,
            ...("fix" in error ? { fix: error.fix } : {}),
            cause: error
          })
      )
    )
  }
}

/** The call for one keyframe, phrased as the entry says. */
export const callOptions = (
  spec: KeyframeSpec,
  entry: ImageModels.ImageModelEntry,
  providerKey: string,
  source: { readonly bytes: Uint8Array; readonly type: string } | undefined
): ImageModelV4CallOptions => {
  const ratio = aspectRatioOf(spec.size)
  const own: Record<string, JSONValue> = { ...(entry.providerOptions as Record<string, JSONValue> | undefined) }
  if (entry.aspectRatio === "aspect_ratio" && ratio) own.aspect_ratio = ratio
  return {
    prompt: spec.prompt,
    n: 1,
    size: undefined,
    aspectRatio: (entry.aspectRatio ?? "standard") === "standard" ? ratio : undefined,
    seed: undefined,
    files: source ? [{ type: "file", mediaType: source.type, data: source.bytes }] : undefined,
    mask: undefined,
    providerOptions: Object.keys(own).length > 0 ? { [providerKey]: own } : {}
  }
}

const entryOrFail = (models: ReadonlyMap<string, ImageModels.ImageModelEntry>, id: string) => {
  const entry = models.get(id)
  if (!entry) return Effect.fail(ImageModels.unknownModel(id, [...models.keys()]))
  if (!entry.edits) {
    return Effect.fail(
      new Errors.InvalidRequest({
        field: "image model",
        given: id,
        allowed: `an image model that edits an input image (every keyframe after the first is an edit): ${[
          ...models.values()
        ]
          .filter((m) => m.edits)
          .map((m) => m.model)
          .join(", ")}`,
        fix: "Pick one of those, or declare your model with `edits: true` if it takes an input image."
      })
    )
  }
  return Effect.succeed(entry)
}

export const make = Effect.fnUntraced(function* (options: Options) {
  const models = ImageModels.table(options.models ?? [])
  const id =
    typeof options.model === "string"
      ? ImageModels.normalizeId(options.model)
      : ModelObjects.imageModelId(options.model)
  const entry = yield* entryOrFail(models, id)
  const textEntry = entry.fromText === undefined ? entry : models.get(entry.fromText)
  if (!textEntry) return yield* ImageModels.unknownModel(entry.fromText!, [...models.keys()])
  const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
  const secrets = new Set<Redacted.Redacted<string>>()
  const resolve = resolver(options, secrets)
  const scrub = (text: string) => Redaction.scrub(text, [...secrets].map(Redacted.value))
  const failure =
    (index: number, fallback: "failed" | "unavailable") =>
    (error: ProviderCall.CallError): Errors.KeyframeError => {
      const classified = classifyCall(error)
      const lost = classified.ambiguous
      return new Errors.KeyframeError({
        index,
        kind: classified.retryable || lost ? "unavailable" : fallback,
        reason: `${error.op} failed: ${ProviderCall.describe(error.cause, scrub)}`,
        fix: lost
          ? "The answer was lost, so the image may have been made and billed; run again to make this keyframe anew."
          : "Run again; if it keeps failing, check the key, the model id and the keyframe's description.",
        cause: error.cause
      })
    }

  const readSource = (index: number, path: string) =>
    ReferenceImage.readImage(
      path,
      "the image to edit",
      (problem) => new Errors.KeyframeError({ index, kind: "rejected", ...problem })
    ).pipe(Effect.map(({ bytes, type }) => ({ bytes: new Uint8Array(bytes), type })))

  const generate = Effect.fn("AiSdkKeyframeGenerator.generate")(function* (spec: KeyframeSpec) {
    const used = spec.source === undefined ? textEntry : entry
    const { model, providerKey } = yield* resolve(spec.index, used.model)
    const source = spec.source === undefined ? undefined : yield* readSource(spec.index, spec.source)
    const request = callOptions(spec, used, providerKey, source)
    const doGenerate = model.doGenerate.bind(model)
    const result = yield* RetryPolicy.retrying(
      () => call("doGenerate", (signal) => doGenerate({ ...request, abortSignal: signal })),
      {
        policy: retry,
        // Only a refusal before any work (429) is asked again; a lost answer may be a billed image.
        classify: (error) => {
          const classified = classifyCall(error)
          return classified.ambiguous ? { ...classified, retryable: false } : classified
        }
      }
    ).pipe(Effect.mapError(failure(spec.index, "failed")))
    const image = result.images[0]
    const flagged = (
      result.providerMetadata?.[providerKey]?.images as ReadonlyArray<{ nsfw?: boolean }> | undefined
    )?.[0]?.nsfw
    if (image === undefined || flagged === true) {
      return yield* new Errors.KeyframeError({
        index: spec.index,
        kind: "failed",
        reason: `${used.model} returned ${image === undefined ? "no image" : "an image its safety checker flagged"} for "${spec.prompt.slice(0, 80)}"`,
        fix: "Rephrase the keyframe's description (plan.json in the output directory): no real people, brands or adult content."
      })
    }
    const bytes = typeof image === "string" ? Buffer.from(image, "base64") : image
    yield* Effect.tryPromise({
      try: () => writeFile(spec.destination, bytes),
      catch: (cause) =>
        new Errors.KeyframeError({
          index: spec.index,
          kind: "failed",
          reason: `the image could not be written to ${spec.destination}`,
          cause
        })
    })
    return spec.destination
  })

  return KeyframeGenerator.KeyframeGenerator.of({
    capabilities: {
      model: entry.model,
      usdPerImage: entry.usdPerImage,
      ...(entry.sources ? { sources: entry.sources } : {})
    },
    generate
  })
})

/**
 * The keyframe generator for one image model. Fails to build for a model the table does not know
 * (`UnknownModel`, listing the known ones) or one that cannot edit (`InvalidRequest`).
 */
export const layer = (
  options: Options
): Layer.Layer<KeyframeGenerator.KeyframeGenerator, Errors.UnknownModel | Errors.InvalidRequest> =>
  Layer.effect(KeyframeGenerator.KeyframeGenerator, make(options))
