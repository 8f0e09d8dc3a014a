/**
 * What the command line prints when something is wrong. Core's errors name the request's fields
 * (`numGenerations`, `outputDir`); here each is spelled as the flag the user typed (`--segments`,
 * `--output`). Parse errors go to stderr with a one-line pointer to the help, which stays on stdout
 * when asked for.
 */
import * as JobId from "@longsora/ai-sdk/JobId"
import { Errors } from "@longsora/core"

/** Request field (or CLI option) → how the user writes it. The one mapping every message goes through. */
const flags: Readonly<Record<string, string>> = {
  prompt: "PROMPT",
  model: "--model",
  seconds: "--seconds",
  numGenerations: "--segments",
  durations: "--durations",
  size: "--size",
  inputReference: "--input-reference",
  includeReference: "--include-reference",
  planModel: "--plan-model",
  imageModel: "--image-model",
  plan: "--plan",
  outputDir: "--output",
  saveSegments: "--save-segments",
  transition: "--transition",
  mode: "--mode",
  chain: "--chain",
  maxConcurrency: "--max-concurrency",
  restart: "--restart",
  force: "--force",
  resume: "--resume",
  yes: "--yes",
  confirmAbove: "--confirm-above",
  clipSeconds: "--clip-seconds",
  usdPerSecond: "--usd-per-second",
  out: "--out",
  anchor: "--anchor",
  maxDrift: "--max-drift",
  audioSeam: "--audio-seam",
  audioSeamSeconds: "--audio-blend-ms",
  segment: "--segment"
}

export const flagName: Errors.FieldNames = (field) => flags[field] ?? field

interface Formattable {
  readonly format: (names: Errors.FieldNames) => string
}

const isFormattable = (error: unknown): error is Formattable =>
  typeof (error as Partial<Formattable> | null)?.format === "function"

/** A segment's failure names its job as the progress lines do: by the provider's id, not the whole handle. */
const withJobLabel = (error: unknown, message: string): string => {
  const jobId = (error as { readonly jobId?: unknown } | null)?.jobId
  return typeof jobId === "string" ? message.replaceAll(jobId, JobId.label(jobId)) : message
}

/** A failure as one message in the CLI's words. */
export const render = (error: unknown): string => {
  if (isFormattable(error)) return error.format(flagName)
  const message = error instanceof Error ? error.message : String(error)
  return Errors.nameFields(withJobLabel(error, message), flagName)
}

/** Help, `--version` and parse errors (in `HelpOutput`, which loads no LongSora package). */
export { helpHint, layer, presenter } from "./HelpOutput.ts"
