/**
 * One generator and one planner for every model id: provider-prefixed ids (`google:…`, `fal:…`)
 * go to the AI SDK services, bare ids keep their OpenAI-protocol meaning. The OpenAI-protocol side
 * is built when the layer is, but may fail (no `OPENAI_API_KEY`) without failing runs that never
 * use it: such a run only learns about the missing key if it asks for a bare model.
 */
import { Errors, Planner, SegmentGenerator } from "@longsora/core"
import { Cause, Context, Effect, Layer } from "effect"
import { isAiSdkModel } from "./Providers.ts"

const why = (cause: Cause.Cause<unknown>) => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

/** `SegmentGenerator` routing by model id; `openAiProtocol` may fail to build (then bare ids fail). */
export const generator = <E1, R1, E, R>(
  aiSdk: Layer.Layer<SegmentGenerator.SegmentGenerator, E1, R1>,
  openAiProtocol: Layer.Layer<SegmentGenerator.SegmentGenerator, E, R>
): Layer.Layer<SegmentGenerator.SegmentGenerator, E1, R1 | R> =>
  Layer.effect(
    SegmentGenerator.SegmentGenerator,
    Effect.gen(function* () {
      const ai = Context.get(yield* Layer.build(aiSdk), SegmentGenerator.SegmentGenerator)
      const other = yield* Effect.exit(Layer.build(openAiProtocol))
      const missing = other._tag === "Failure" ? why(other.cause) : undefined
      const bare = other._tag === "Success" ? Context.get(other.value, SegmentGenerator.SegmentGenerator) : undefined
      const unusable = (segment: number) =>
        new Errors.GenerationError({
          segment,
          kind: "rejected",
          reason: `OpenAI-protocol models are not configured: ${missing}`,
          fix: "Set OPENAI_API_KEY (and OPENAI_BASE_URL for a gateway), or use a provider-prefixed model such as google:veo-3.1-generate-preview."
        })
      return SegmentGenerator.SegmentGenerator.of({
        capabilities: (model) =>
          isAiSdkModel(model)
            ? ai.capabilities(model)
            : bare
              ? bare.capabilities(model)
              : Effect.fail(
                  new Errors.UnknownModel({ model, known: [`(OpenAI-protocol models need configuring: ${missing})`] })
                ),
        submit: (spec) =>
          isAiSdkModel(spec.model) ? ai.submit(spec) : bare ? bare.submit(spec) : Effect.fail(unusable(spec.segment)),
        complete: (job, destination) =>
          // AI SDK job ids are JSON naming their model; anything else is the other protocol's.
          job.id.startsWith("{")
            ? ai.complete(job, destination)
            : bare
              ? bare.complete(job, destination)
              : Effect.fail(unusable(job.segment)),
        // Range-first where the routed generator offers it, else its plain `complete`.
        completeEarly: (job, destination) => {
          const routed = job.id.startsWith("{") ? ai : bare
          if (!routed) return Effect.fail(unusable(job.segment))
          return routed.completeEarly
            ? routed.completeEarly(job, destination)
            : Effect.map(routed.complete(job, destination), (clip) => ({
                preview: undefined,
                rest: Effect.succeed(clip)
              }))
        }
      })
    })
  )

/** `Planner` routing by the request's `planModel`. */
export const planner = <E1, R1, E, R>(
  aiSdk: Layer.Layer<Planner.Planner, E1, R1>,
  openAiProtocol: Layer.Layer<Planner.Planner, E, R>
): Layer.Layer<Planner.Planner, E1, R1 | R> =>
  Layer.effect(
    Planner.Planner,
    Effect.gen(function* () {
      const ai = Context.get(yield* Layer.build(aiSdk), Planner.Planner)
      const other = yield* Effect.exit(Layer.build(openAiProtocol))
      return Planner.Planner.of({
        plan: (input) =>
          isAiSdkModel(input.planModel)
            ? ai.plan(input)
            : other._tag === "Success"
              ? Context.get(other.value, Planner.Planner).plan(input)
              : Effect.fail(
                  new Errors.PlannerError({
                    reason: `${input.planModel} needs the OpenAI protocol, which is not configured (${why(other.cause)}); set OPENAI_API_KEY, or plan with a provider-prefixed model such as --plan-model google:gemini-2.5-flash`
                  })
                )
      })
    })
  )
