/**
 * What the tools say when something is wrong: core's messages, which name the request's fields. The
 * tools take the same names (the SDK's), except `run` for the output directory; the CLI renders the
 * same errors with its flags instead.
 */
import { Errors } from "@longsora/core"

/** Core's errors name request fields; the tools take the same names, except the run for `outputDir`. */
export const argumentName: Errors.FieldNames = (field) => (field === "outputDir" ? "run" : field)

const isFormattable = (error: unknown): error is { readonly format: (names: Errors.FieldNames) => string } =>
  typeof (error as { readonly format?: unknown } | null)?.format === "function"

/** A failure as one message, in the tools' argument names (the CLI prints the same in its flags'). */
export const messageOf = (error: unknown): string => {
  if (isFormattable(error)) return error.format(argumentName)
  const message = error instanceof Error && error.message !== "" ? error.message : String(error)
  return Errors.nameFields(message, argumentName)
}
