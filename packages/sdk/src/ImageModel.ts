/**
 * The image model behind `chain: keyframes`, chosen by id (`--image-model`, SDK `imageModel`): a
 * bare id (`gpt-image-1.5`, the default) renders keyframes through the OpenAI Images API on the
 * run's OpenAI connection (the emulator's offline). Provider-prefixed ids (`google:…`, `fal:…`) are
 * refused here, the one place that decides, until the AI SDK image generator arrives.
 */
import { Errors, type KeyframeGenerator } from "@longsora/core"
import { ImageModels } from "@longsora/sora-provider"
import { Cause, Context, Effect, Layer, Option } from "effect"

export const defaultModel = ImageModels.DEFAULT_IMAGE_MODEL

/** Whether an id names a provider's model (`google:imagen-4`) rather than an OpenAI Images one. */
const isPrefixed = (id: string) => /^[a-z][a-z0-9-]*:/.test(id)

const unsupported = (model: string) =>
  new Errors.InvalidRequest({
    field: "imageModel",
    given: model,
    allowed: `an OpenAI Images model (${ImageModels.builtIn.map((entry) => entry.model).join(", ")}); provider-prefixed image models are not supported yet`,
    fix: `Leave it out (default ${defaultModel}) or use one of those.`
  })

/**
 * The keyframe generator for `model`, built from `openAiImages`, when it can be. It is optional:
 * core offers `chain: keyframes` only when one is there, so a run without an OpenAI key (e.g. Veo
 * with a Google key) still works with the other strategies and is told, if it asks for keyframes,
 * that it has no image model. A model that cannot be used at all fails the layer.
 */
export const layer = <E, R>(
  model: string | undefined,
  openAiImages: (model: string) => Layer.Layer<KeyframeGenerator.KeyframeGenerator, E, R>
): Layer.Layer<never, Errors.InvalidRequest, R> => {
  const id = model ?? defaultModel
  if (isPrefixed(id)) return Layer.effectContext(Effect.fail(unsupported(id)))
  return Layer.effectContext(
    Effect.gen(function* () {
      const built = yield* Effect.exit(Layer.build(openAiImages(id)))
      if (built._tag === "Success") return built.value as Context.Context<never>
      const error = Option.getOrUndefined(Cause.findErrorOption(built.cause))
      if (error instanceof Errors.InvalidRequest) return yield* Effect.fail(error)
      // Not configured (no OPENAI_API_KEY): no image model, and core says so if keyframes are asked for.
      return Context.empty() as Context.Context<never>
    })
  )
}
