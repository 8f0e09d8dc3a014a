/**
 * How the command line prints help, `--version` and a bad invocation: help on stdout when asked for, a
 * parse error on stderr with a one-line pointer to the help. Loads only Effect, so these stay fast.
 */
import { Console } from "effect"
import { CliOutput } from "effect/cli"

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
