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
  text
    .replace(/\b(numGenerations|inputReference|planModel|maxConcurrency)\b/g, (name) => apiNames[name] ?? name)
    // Providers name the CLI's flag and the SDK's option for it; here it is the retry's body field.
    .replace(/run again with --recreate-lost \(SDK: recreateLost: true\)/g, 'retry with {"recreate_lost": true}')
    .replace(/--recreate-lost(?: \(SDK: recreateLost: true\))?/g, '"recreate_lost": true')

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

/** A create that was sent and whose answer was never recorded: a job may exist (and be billed). */
export interface LostCreate {
  readonly segment: number
  /** When it was sent (Unix milliseconds). */
  readonly sentAt: number
}

/** What the run that failed knew beyond its error. */
export interface FailedRun {
  /** The job's id, for the route that retries it. */
  readonly id: string
  /** It stopped on a lost create, which only a retry with `recreate_lost` starts anew. */
  readonly lostCreate?: LostCreate | undefined
}

const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`)

/**
 * A lost create in the server's words: the provider's reason, then what the client can do (the
 * provider's own fix names the CLI's flag, so it is left out).
 */
const lostCreateMessage = (
  error: { readonly reason?: string; readonly message?: string },
  run: FailedRun,
  lost: LostCreate
) =>
  `Segment ${lost.segment}'s create got no answer: ${sentence(apiWording(error.reason ?? error.message ?? ""))} ` +
  `Look in the provider's console for a job started at ${new Date(lost.sentAt).toISOString()}; if there is none, ` +
  `POST /v1/videos/${run.id}/retry with {"recreate_lost": true} to start it anew (billed again). ` +
  "A retry without recreate_lost stops here again, so nothing is paid twice by guessing."

/** The error code of a job stopped by a lost create (the one failure a plain retry does not get past). */
export const lostCreateCode = "segment_create_lost"

/** What the client can do about any other failure. */
const retryAdvice = (run: FailedRun) =>
  `POST /v1/videos/${run.id}/retry runs the job again: finished segments are reused, only what is missing is made (and paid for).`

/** Why a job ended failed, as the Video object's `error`, with what the client can do about it. */
export const jobError = (error: unknown, run: FailedRun): JobError => {
  const tagged = error as { _tag?: string; kind?: string; message?: string; reason?: string }
  const text = apiWording(tagged.message ?? String(error))
  const message = `${sentence(text)} ${retryAdvice(run)}`
  switch (tagged._tag) {
    case "GenerationError":
      if (run.lostCreate) return { code: lostCreateCode, message: lostCreateMessage(tagged, run, run.lostCreate) }
      return { code: tagged.kind === "moderation" ? "moderation_blocked" : `segment_${tagged.kind}`, message }
    case "PlannerError":
      return { code: "planning_failed", message }
    case "CombineError":
      return { code: "join_failed", message }
    case "InvalidRequest":
    case "UnformableDuration":
    case "UnknownModel":
      // The same request fails the same way: a retry would not help.
      return { code: "invalid_request", message: text }
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
