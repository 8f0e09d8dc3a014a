/**
 * The image model behind `chain: keyframes`, chosen by id (`--image-model`, SDK `imageModel`): a
 * bare id (`gpt-image-1.5`, the default) renders keyframes through the OpenAI Images API on the
 * run's OpenAI connection (the emulator's offline); a provider-prefixed id (`google:gemini-2.5-flash-image`,
 * `fal:flux-pro/kontext`) through that AI SDK provider's image model. This is the one place that decides.
 */
import { ImageModels as AiSdkImageModels, Providers } from "@longsora/ai-sdk"
import { Errors, type KeyframeGenerator } from "@longsora/core"
import { ImageModels } from "@longsora/sora-provider"
import { Cause, Context, Effect, Layer, Option, type Scope } from "effect"

export const defaultModel = ImageModels.DEFAULT_IMAGE_MODEL

/** Every image model an id may name: the OpenAI Images ones, then the AI SDK providers'. */
const knownModels = () => [
  ...ImageModels.builtIn.map((entry) => entry.model),
  ...AiSdkImageModels.builtIn.map((entry) => entry.model)
]

/** The refusal of an image model, in the words of the option that chose it. */
const invalidModel = (model: string) =>
  new Errors.InvalidRequest({
    field: "imageModel",
    given: model,
    allowed: `an image model: ${knownModels().join(", ")}`,
    fix: `Leave it out (default ${defaultModel}) or use one of those.`
  })

/** Whether `field` is an environment variable that holds the key of `model`'s provider. */
const isKeyVariable = (model: string, field: string) =>
  Providers.parseModelId(model)?.provider.keyEnv.includes(field) ?? field === "OPENAI_API_KEY"

/**
 * What building an image model's layer ended in: its service, a refusal of the model (unknown,
 * cannot edit), or nothing when it is not configured (no key), so that core says, only if keyframes
 * are asked for, that there is no image model.
 */
const optional = <E, R>(layer: Layer.Layer<KeyframeGenerator.KeyframeGenerator, E, R>, model: string) =>
  Effect.gen(function* () {
    const built = yield* Effect.exit(Layer.build(layer))
    if (built._tag === "Success") return built.value as Context.Context<never>
    const error = Option.getOrUndefined(Cause.findErrorOption(built.cause))
    if (error instanceof Errors.UnknownModel) return yield* Effect.fail(invalidModel(model))
    const missingKey = error instanceof Errors.InvalidRequest && isKeyVariable(model, error.field)
    if (error instanceof Errors.InvalidRequest && !missingKey) return yield* Effect.fail(error)
    return Context.empty() as Context.Context<never>
  })

/**
 * The keyframe generator for `model`, built from `openAiImages` for bare ids and from `aiSdkImages`
 * for prefixed ones, when it can be. It is optional: core offers `chain: keyframes` only when one is
 * there, so a run without the image provider's key still works with the other strategies.
 */
export const layer = <E1, R1, E2, R2>(
  model: string | undefined,
  openAiImages: (model: string) => Layer.Layer<KeyframeGenerator.KeyframeGenerator, E1, R1>,
  aiSdkImages: (model: string) => Layer.Layer<KeyframeGenerator.KeyframeGenerator, E2, R2>
): Layer.Layer<never, Errors.InvalidRequest, R1 | R2> => {
  const id = model ?? defaultModel
  const built: Effect.Effect<
    Context.Context<never>,
    Errors.InvalidRequest,
    R1 | R2 | Scope.Scope
  > = Providers.isAiSdkModel(id) ? optional(aiSdkImages(id), id) : optional(openAiImages(id), id)
  return Layer.effectContext(built)
}
