/**
 * core's `Planner` over the OpenAI Responses API with structured output (`responses.parse` +
 * `zodTextFormat`, strict). A plan with the wrong count, wrong seconds or an empty prompt gets one
 * corrective turn naming what was wrong, then a typed `PlannerError`; over-long prompts are cut at a
 * sentence boundary; 429/5xx/connection failures are retried with backoff and `retry-after`.
 */
import { Errors, Planner } from "@longsora/core"
import { OpenAiClient, RetryPolicy } from "@longsora/openai-client"
import { Config, Data, Effect, Layer, Option } from "effect"
import type OpenAI from "openai"
import { APIError } from "openai"
import { zodTextFormat } from "openai/helpers/zod"
import * as PlanConversation from "./PlanConversation.ts"
import * as PlanSchema from "./PlanSchema.ts"

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh"

export interface Options {
  /** Planning model used when the request names none (requests default to `gpt-5`). */
  readonly planModel?: string | undefined
  /** Reasoning effort for the planning model; `low` plans well and fast. */
  readonly reasoningEffort?: ReasoningEffort | undefined
  readonly retry?: Partial<RetryPolicy.RetryOptions> | undefined
}

export const DEFAULT_PLAN_MODEL = "gpt-5"
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = "low"
/** Reasoning models can think for minutes before answering; longer than the client's default. */
export const PLAN_TIMEOUT_MS = 300_000

class CallError extends Data.TaggedError("CallError")<{ readonly cause: unknown }> {}

type Reply = PlanConversation.Reply
type Message = PlanConversation.Message

const formats = {
  plan: zodTextFormat(PlanSchema.PlanOutput, PlanSchema.FORMAT_NAME),
  keyframes: zodTextFormat(PlanSchema.PlanWithKeyframes, PlanSchema.FORMAT_NAME)
}

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const { client, apiKey } = yield* OpenAiClient.OpenAiClient
  const retry: RetryPolicy.RetryOptions = { ...RetryPolicy.defaultRetryOptions, ...options.retry }
  const effort = options.reasoningEffort ?? DEFAULT_REASONING_EFFORT
  const scrub = (text: string) => OpenAiClient.scrub(text, apiKey)

  const failure = (reason: string, cause?: unknown) =>
    new Errors.PlannerError({ reason: scrub(reason), ...(cause === undefined ? {} : { cause }) })

  /** One structured-output call; a reply that does not parse comes back as a problem, not an error. */
  const ask = (model: string, input: ReadonlyArray<Message>, keyframes: boolean) =>
    RetryPolicy.retrying(
      () =>
        Effect.tryPromise({
          try: (signal) =>
            client.responses.parse(
              {
                model,
                input: [...input],
                reasoning: { effort },
                text: { format: keyframes ? formats.keyframes : formats.plan }
              },
              { signal, timeout: PLAN_TIMEOUT_MS }
            ),
          catch: (cause) => new CallError({ cause })
        }),
      { policy: retry, classify: (error) => RetryPolicy.classify(error.cause) }
    ).pipe(
      Effect.map((response): Reply => {
        if (response.output_parsed) return { _tag: "Plan", plan: response.output_parsed, text: response.output_text }
        const refusal = response.output
          .flatMap((item) => (item.type === "message" ? item.content : []))
          .find((part) => part.type === "refusal")
        if (refusal) return { _tag: "Problem", problem: `the model refused: ${refusal.refusal}`, text: "", fatal: true }
        const reason = response.incomplete_details?.reason
        return {
          _tag: "Problem",
          problem: reason ? `the reply was cut off (${reason})` : "the reply held no plan",
          text: response.output_text,
          fatal: false
        }
      }),
      Effect.catch((error) => {
        const cause = error.cause
        // `responses.parse` throws SyntaxError/ZodError for a reply that does not match the schema.
        if (cause instanceof SyntaxError || (cause instanceof Error && cause.name === "ZodError")) {
          return Effect.succeed<Reply>({
            _tag: "Problem",
            problem: `the reply did not match the plan schema: ${cause.message.slice(0, 300)}`,
            text: "",
            fatal: false
          })
        }
        return Effect.fail(toPlannerError(cause))
      })
    )

  const toPlannerError = (cause: unknown): Errors.PlannerError => {
    if (cause instanceof APIError && cause.status !== undefined) {
      const inner = (cause.error ?? {}) as { message?: unknown }
      const message = typeof inner.message === "string" ? inner.message : cause.message
      const classified = RetryPolicy.classify(cause)
      const hint =
        cause.status === 401
          ? " Check OPENAI_API_KEY."
          : cause.status === 404
            ? " Check the planning model name and OPENAI_BASE_URL."
            : classified.retryable
              ? " The API stayed unavailable through every retry; try again later."
              : ""
      return failure(`the Responses API answered ${cause.status}: ${message}.${hint}`, {
        status: cause.status,
        requestID: cause.requestID ?? null
      })
    }
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    return failure(`the Responses API could not be reached: ${text}`)
  }

  const plan = Effect.fn("OpenAiPlanner.plan")(function* (input: Planner.PlanInput) {
    const model = input.planModel.trim() || options.planModel || DEFAULT_PLAN_MODEL
    return yield* PlanConversation.run(
      input,
      model,
      (conversation) => ask(model, conversation, input.keyframes === true),
      scrub
    )
  })

  return Planner.Planner.of({ plan })
})

export const effortConfig: Config.Config<ReasoningEffort | undefined> = Config.Literals(
  ["none", "minimal", "low", "medium", "high", "xhigh"] as const,
  "LONGSORA_PLAN_EFFORT"
).pipe(Config.option, Config.map(Option.getOrUndefined))

export const planModelConfig: Config.Config<string | undefined> = Config.String("LONGSORA_PLAN_MODEL").pipe(
  Config.option,
  Config.map(Option.getOrUndefined)
)

/** The planner over an `OpenAiClient` you provide (e.g. `OpenAiClient.fromClient(new OpenAI(...))`). */
export const layerWithClient = (
  options: Options = {}
): Layer.Layer<Planner.Planner, never, OpenAiClient.OpenAiClient> => Layer.effect(Planner.Planner, make(options))

/** The planner with its own client from explicit settings: `layer({ apiKey: Redacted.make(key) })`. */
export const layer = (options: Options & OpenAiClient.Options): Layer.Layer<Planner.Planner> =>
  layerWithClient(options).pipe(Layer.provide(OpenAiClient.layer(options)))

/**
 * The planner configured from env (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`,
 * `OPENAI_PROJECT_ID`, `OPENAI_TIMEOUT_MS`, `LONGSORA_PLAN_MODEL`, `LONGSORA_PLAN_EFFORT`);
 * anything in `options` overrides what is read.
 */
export const layerConfig = (
  options: Options & Partial<OpenAiClient.Options> = {}
): Layer.Layer<Planner.Planner, Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const planModel = options.planModel ?? (yield* planModelConfig)
      const reasoningEffort = options.reasoningEffort ?? (yield* effortConfig)
      return layerWithClient({ ...options, planModel, reasoningEffort }).pipe(
        Layer.provide(OpenAiClient.layerConfig(options))
      )
    })
  )

export type { OpenAI }
