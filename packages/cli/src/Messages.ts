/**
 * What the command line prints when something is wrong. Core's errors name the request's fields
 * (`numGenerations`, `outputDir`); here each is spelled as the flag the user typed (`--segments`,
 * `--output`). Parse errors go to stderr with a one-line pointer to the help, which stays on stdout
 * when asked for.
 */
import { Errors } from "@longsora/core"
import { Console } from "effect"
import { CliOutput } from "effect/cli"

/** Request field (or CLI option) → how the user writes it. The one mapping every message goes through. */
const flags: Readonly<Record<string, string>> = {
  prompt: "PROMPT",
  model: "--model",
  seconds: "--seconds",
  numGenerations: "--segments",
  durations: "--durations",
  size: "--size",
  inputReference: "--input-reference",
  planModel: "--plan-model",
  plan: "--plan",
  outputDir: "--output",
  saveSegments: "--save-segments",
  transition: "--transition",
  mode: "--mode",
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

/** A failure as one message in the CLI's words. */
export const render = (error: unknown): string => {
  if (isFormattable(error)) return error.format(flagName)
  const message = error instanceof Error ? error.message : String(error)
  return Errors.nameFields(message, flagName)
}

/** The hint printed under a parse error instead of the whole help. */
export const helpHint = (commandPath: ReadonlyArray<string>): string =>
  `Run \`${[...commandPath, "--help"].join(" ")}\` for the flags.`

/** Help and `--version` on stdout; a bad invocation's errors and the hint on stderr. */
export const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
          [...event.errors.map((error) => `error: ${error.message}`), helpHint(event.commandPath)].join("\n")
        )
      : CliOutput.defaultPresenter.present(event)
}

export const layer = CliOutput.layerPresenter(presenter)
