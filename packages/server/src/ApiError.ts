/**
 * Errors in the contract's envelope, `{"error": {"message", "type", "param", "code"}}`, and how
 * core's errors read in it: a request core rejects names the API's own parameter and the fix.
 */
import { Cause, Data, Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import type { JobError } from "./Job.ts"

export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {}

export const invalidRequest = (message: string, param: string | null, code: string | null = "invalid_value") =>
  new ApiError({ status: 400, message, type: "invalid_request_error", param, code })

export const notFound = (message: string) =>
  new ApiError({ status: 404, message, type: "invalid_request_error", param: null, code: "not_found" })

export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(
    { error: { message: error.message, type: error.type, param: error.param, code: error.code } },
    { status: error.status, ...(error.headers ? { headers: error.headers } : {}) }
  )

/** Core's names for request fields, and the API's. */
const apiNames: Readonly<Record<string, string>> = {
  numGenerations: "num_generations",
  inputReference: "input_reference",
  planModel: "plan_model",
  maxConcurrency: "max_concurrency"
}

/** Core's message with its field names spelled as in this API. */
export const apiWording = (text: string): string =>
  text.replace(/\b(numGenerations|inputReference|planModel|maxConcurrency)\b/g, (name) => apiNames[name] ?? name)

interface CoreError {
  readonly _tag: string
  readonly message: string
  readonly field?: string
  readonly model?: string
}

/** A core error raised while checking a request (before anything is paid) as a 4xx/5xx. */
export const fromValidation = (error: CoreError): ApiError => {
  switch (error._tag) {
    case "InvalidRequest":
      return invalidRequest(apiWording(error.message), apiNames[error.field!] ?? error.field!)
    case "UnformableDuration":
      return invalidRequest(apiWording(error.message), "seconds")
    case "UnknownModel":
      return invalidRequest(error.message, "model", "model_not_found")
    default:
      // The server itself cannot run jobs (ffmpeg missing, data directory unwritable): not the client's fault.
      return new ApiError({
        status: 500,
        message: `The server cannot run jobs: ${error.message}`,
        type: "server_error",
        param: null,
        code: "server_misconfigured"
      })
  }
}

/** Why a job ended failed, as the Video object's `error`. */
export const jobError = (error: unknown): JobError => {
  const tagged = error as { _tag?: string; kind?: string; message?: string }
  const message = apiWording(tagged.message ?? String(error))
  switch (tagged._tag) {
    case "GenerationError":
      return { code: tagged.kind === "moderation" ? "moderation_blocked" : `segment_${tagged.kind}`, message }
    case "PlannerError":
      return { code: "planning_failed", message }
    case "CombineError":
      return { code: "join_failed", message }
    case "InvalidRequest":
    case "UnformableDuration":
    case "UnknownModel":
      return { code: "invalid_request", message }
    default:
      return { code: "internal_error", message }
  }
}

/** Runs a handler; every failure, expected or not, answers in the envelope. */
export const handle = <E, R>(
  effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  effect.pipe(
    Effect.catchCause((cause) => {
      const error = Cause.squash(cause)
      if (error instanceof ApiError) return Effect.succeed(toResponse(error))
      return Effect.logError("request failed", cause).pipe(
        Effect.as(
          toResponse(
            new ApiError({
              status: 500,
              message: "The server had an error while processing your request.",
              type: "server_error",
              param: null,
              code: null
            })
          )
        )
      )
    })
  )
