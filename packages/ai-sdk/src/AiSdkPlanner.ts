/**
 * core's `Planner` over any AI SDK language model with structured output (`generateText` with
 * `Output.object` and the plan schema of `@longsora/planner`): the same conversation as the OpenAI
 * planner, with its one corrective turn, so a user with only a Google key plans with Gemini
 * (`--plan-model google:gemini-2.5-flash`). The SDK's own retries are off (`maxRetries: 0`); 429,
 * 5xx and lost connections are retried here, with the server's `retry-after`.
 */
import { APICallError } from "@ai-sdk/provider"
import { type Errors as CoreErrors, Errors, Planner } from "@longsora/core"
import { PlanConversation, PlanSchema } from "@longsora/planner"
import { Redaction, RetryPolicy } from "@longsora/provider-kit"
import type { LanguageModel } from "ai"
import { Effect, Layer, Redacted } from "effect"
import * as Providers from "./Providers.ts"

export interface Options {
  /** Plan with this model whatever the request's `planModel` says. */
  readonly model?: LanguageModel | undefined
  /** Model objects by the id requests use, e.g. `{ "google:gemini-2.5-flash": google("gemini-2.5-flash") }`. */
  readonly languageModels?: Readonly<Record<string, LanguageModel>> | undefined
  /** Key and base URL per provider id; what is not given is read from env. */
  readonly connections?: Readonly<Record<string, Partial<Providers.Connection>>> | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
  /** Per-call timeout (ms); reasoning models can think for minutes. */
  readonly timeoutMs?: number | undefined
}

export const PLAN_TIMEOUT_MS = 300_000

/**
 * The AI SDK core (`ai`, with its gateway and their schemas) is loaded by the first plan, so that a run planning
 * through the OpenAI protocol never loads it (tens of ms at every start of the CLI otherwise).
 */
let aiCore: typeof import("ai") | undefined
const loadAiCore = async () => (aiCore ??= await import("ai"))

const classify = (cause: unknown): RetryPolicy.Classified => {
  if (APICallError.isInstance(cause)) {
    return cause.statusCode !== undefined
      ? RetryPolicy.classifyStatus(cause.statusCode, cause.responseHeaders)
      : cause.isRetryable
        ? RetryPolicy.lostAnswer
        : RetryPolicy.notRetryable
  }
  return cause instanceof Error && RetryPolicy.isNetworkError(cause) ? RetryPolicy.lostAnswer : RetryPolicy.notRetryable
}

class CallError extends Error {
  readonly original: unknown
  constructor(original: unknown) {
    super("call failed")
    this.original = original
  }
}

export const make = (options: Options = {}) =>
  Effect.sync(() => {
    const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
    const secrets: Array<string> = []
    const resolved = new Map<string, LanguageModel>()
    const scrub = (text: string) => Redaction.scrub(text, secrets)

    const resolve = (id: string): Effect.Effect<LanguageModel, CoreErrors.PlannerError> => {
      const given = options.model ?? options.languageModels?.[id] ?? resolved.get(id)
      if (given) return Effect.succeed(given)
      const ref = Providers.parseModelId(id)
      if (!ref?.provider.language) {
        return Effect.fail(
          new Errors.PlannerError({
            reason: `"${id}" names no AI SDK language model; use a provider-prefixed id (${Providers.providers
              .filter((p) => p.language)
              .map((p) => `${p.id}:`)
              .join(", ")}), e.g. google:gemini-2.5-flash`
          })
        )
      }
      return Effect.gen(function* () {
        const connection = yield* Providers.connectionConfig(ref.provider, options.connections?.[ref.provider.id])
        if (connection.apiKey) secrets.push(Redacted.value(connection.apiKey))
        const factory = yield* Providers.load(ref.provider)
        const instance = Providers.instantiate(ref.provider, factory, connection, new Map())
        const model = instance.languageModel!.call(instance, ref.modelId) as LanguageModel
        resolved.set(id, model)
        return model
      }).pipe(Effect.mapError((error) => new Errors.PlannerError({ reason: error.message, cause: error })))
    }

    const toPlannerError = (cause: unknown): CoreErrors.PlannerError => {
      const status = APICallError.isInstance(cause) ? cause.statusCode : undefined
      const message = cause instanceof Error ? cause.message : String(cause)
      const hint =
        status === 401 || status === 403
          ? " Check the provider's key."
          : status === 404
            ? " Check the planning model name and the provider's base URL."
            : classify(cause).retryable
              ? " The API stayed unavailable through every retry; try again later."
              : ""
      return new Errors.PlannerError({
        reason: scrub(`the planning model failed${status === undefined ? "" : ` (HTTP ${status})`}: ${message}.${hint}`)
      })
    }

    /** One structured-output call; a reply that does not parse comes back as a problem, not an error. */
    const ask = (model: LanguageModel, conversation: ReadonlyArray<PlanConversation.Message>, keyframes: boolean) => {
      const [instructions, ...turns] = conversation
      return RetryPolicy.retrying(
        () =>
          Effect.tryPromise({
            try: async (signal) => {
              const { generateText, Output } = await loadAiCore()
              return generateText({
                model,
                system: instructions!.content,
                messages: turns.map((m) => ({
                  role: m.role === "assistant" ? "assistant" : "user",
                  content: m.content
                })),
                output: Output.object({
                  schema: keyframes ? PlanSchema.PlanWithKeyframes : PlanSchema.PlanOutput,
                  name: PlanSchema.FORMAT_NAME
                }),
                maxRetries: 0,
                abortSignal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? PLAN_TIMEOUT_MS)])
              })
            },
            catch: (cause) => new CallError(cause)
          }),
        { policy: retry, classify: (error) => classify(error.original) }
      ).pipe(
        Effect.map((result): PlanConversation.Reply => ({ _tag: "Plan", plan: result.output, text: result.text })),
        Effect.catch((error) => {
          const cause = error.original
          // Only a call made with `ai` loaded can have failed with its error.
          if (aiCore?.NoObjectGeneratedError.isInstance(cause)) {
            return Effect.succeed<PlanConversation.Reply>({
              _tag: "Problem",
              problem: `the reply did not match the plan schema: ${String(cause.cause ?? cause.message).slice(0, 300)}`,
              text: cause.text ?? "",
              fatal: false
            })
          }
          return Effect.fail(toPlannerError(cause))
        })
      )
    }

    const plan = Effect.fn("AiSdkPlanner.plan")(function* (input: Planner.PlanInput) {
      const id = input.planModel.trim()
      const model = yield* resolve(id)
      return yield* PlanConversation.run(
        input,
        id,
        (conversation) => ask(model, conversation, input.keyframes === true),
        scrub
      )
    })

    return Planner.Planner.of({ plan })
  })

/** The planner; provider keys and base URLs not given are read from env when a model is first used. */
export const layer = (options: Options = {}): Layer.Layer<Planner.Planner> =>
  Layer.effect(Planner.Planner, make(options))
