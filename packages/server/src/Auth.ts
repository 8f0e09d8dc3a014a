/**
 * Who is calling: `Authorization: Bearer lsk_…`, a key the operator issued. A server bound to
 * loopback with no key issued yet lets local callers in as `local` (a developer's machine); any
 * other server without keys refuses every call and says how to issue one.
 */
import { Context, Effect, Option } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { ApiError, toResponse } from "./ApiError.ts"
import * as ApiKeys from "./ApiKeys.ts"
import { JobStore, type Limits } from "./JobStore.ts"

export interface Principal {
  /** The key's id (`local` for the keyless loopback mode); jobs belong to it. */
  readonly id: string
  readonly limits: Limits
}

/** The caller of the request being handled, for handlers behind `middleware` (the MCP endpoint's tools). */
export class CurrentPrincipal extends Context.Service<CurrentPrincipal, Principal>()(
  "@longsora/server/Auth/CurrentPrincipal"
) {}

export interface Options {
  /** Server-wide limits, overridden per key. */
  readonly limits: Limits
  /** Whether a server without keys lets callers in (only on loopback). */
  readonly openWithoutKeys: boolean
}

const unauthorized = (message: string, code: string | null) =>
  new ApiError({
    status: 401,
    message,
    type: "invalid_request_error",
    param: null,
    code,
    headers: { "www-authenticate": 'Bearer realm="longsora"' }
  })

const issueHint = "The operator issues keys with `longsora serve keys create NAME`."

export const authenticate = (options: Options) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const store = yield* JobStore
    const header = request.headers.authorization ?? ""
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim()
    const keys = yield* store.listKeys
    if (keys.length === 0) {
      if (options.openWithoutKeys) return { id: "local", limits: options.limits } satisfies Principal
      return yield* unauthorized(`This server has no API keys yet, so it accepts no calls. ${issueHint}`, null)
    }
    if (bearer === undefined) {
      return yield* unauthorized(
        `You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'. ${issueHint}`,
        null
      )
    }
    const key = yield* ApiKeys.verify(bearer)
    if (Option.isNone(key)) {
      return yield* unauthorized(`Incorrect API key provided. ${issueHint}`, "invalid_api_key")
    }
    return {
      id: key.value.id,
      limits: {
        maxRunningJobs: key.value.maxRunningJobs ?? options.limits.maxRunningJobs,
        secondsPerDay: key.value.secondsPerDay ?? options.limits.secondsPerDay
      }
    } satisfies Principal
  })

/**
 * Route middleware: a request without a valid key is answered 401 in the API's envelope before the
 * route sees it; the others run with their caller as `CurrentPrincipal`.
 */
export const middleware = (options: Options) =>
  HttpRouter.middleware<{ provides: CurrentPrincipal }>()(
    Effect.gen(function* () {
      const store = yield* JobStore
      return (httpEffect) =>
        authenticate(options).pipe(
          Effect.provideService(JobStore, store),
          Effect.matchEffect({
            onFailure: (error) => Effect.succeed(toResponse(error)),
            onSuccess: (principal) => Effect.provideService(httpEffect, CurrentPrincipal, principal)
          })
        )
    })
  )
