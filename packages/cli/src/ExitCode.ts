/** Exit codes: 0 done, 2 bad input (nothing was billed), 1 failure, 130 interrupted. */
import { Cause, Exit } from "effect"
import { CliError } from "effect/cli"

const badInput = new Set([
  "InvalidRequest",
  "UnformableDuration",
  "UnknownModel",
  "RunConflict",
  "RunLocked",
  "MissingDependency",
  "PlanFileError"
])

export const isBadInput = (error: unknown): boolean => {
  if (CliError.isCliError(error)) return !(error._tag === "ShowHelp" && error.errors.length === 0)
  const tag = (error as { _tag?: unknown } | null)?._tag
  return typeof tag === "string" && badInput.has(tag)
}

export const of = <A, E>(exit: Exit.Exit<A, E>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.hasInterruptsOnly(exit.cause)) return 130
  const error = Cause.squash(exit.cause)
  if (CliError.isCliError(error) && error._tag === "ShowHelp" && error.errors.length === 0) return 0
  return isBadInput(error) ? 2 : 1
}
