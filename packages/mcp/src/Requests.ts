/**
 * A tool's arguments as a run's request: the fields a run is identified by, its default name, and
 * core's request through the SDK's translation (so a transition text is checked the same way there
 * and here). Shared by every run store, so a request names the same run in each.
 */

import type { Transition } from "@longsora/core"
import { CreateVideoParams } from "@longsora/sdk"
import { Effect } from "effect"
import * as Runs from "./Runs.ts"
import type * as ToolParams from "./ToolParams.ts"

export const usd = (amount: number) => `$${amount.toFixed(2)}`

/** The request fields a run is identified by (not how it is started). */
export const requestOf = (params: ToolParams.PlanParams | ToolParams.GenerateParams): ToolParams.PlanParams => {
  const {
    run: _run,
    confirm: _confirm,
    restart: _restart,
    recreateLost: _recreateLost,
    ...request
  } = params as ToolParams.GenerateParams
  return request
}

/** The run's name: the one given, else the prompt's words and a hash of the request. */
export const nameOf = (params: ToolParams.PlanParams & { readonly run?: string | undefined }) =>
  params.run ?? Runs.defaultName(params.prompt, requestOf(params))

/** How a run is started, beside what it makes (`generate`'s `restart` and `recreateLost`). */
export interface StartOptions {
  readonly restart?: boolean | undefined
  readonly recreateLost?: boolean | undefined
}

/** Core's request for `params`, made in `outputDir`. */
export const toRequest = (params: ToolParams.PlanParams, outputDir: string, start: StartOptions = {}) => {
  const { transition, ...rest } = requestOf(params)
  return CreateVideoParams.toRequest({
    ...rest,
    // Checked by toRequest, which names the argument when it is not one of the forms.
    ...(transition === undefined ? {} : { transition: transition as Transition.TransitionText }),
    outputDir,
    saveSegments: true,
    restart: start.restart ?? false,
    ...(start.recreateLost ? { recreateLost: true } : {})
  }).pipe(Effect.scoped)
}
