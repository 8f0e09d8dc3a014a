/** The `longsora` command and how it ends: errors printed once, exit codes 0 / 1 / 2 / 130. */
import { Cause, Effect, Exit } from "effect"
import { Command } from "effect/cli"
import * as DoctorCommand from "./DoctorCommand.ts"
import * as EmulatorCommand from "./EmulatorCommand.ts"
import * as ExitCode from "./ExitCode.ts"
import * as GenerateCommand from "./GenerateCommand.ts"
import * as HelpOutput from "./HelpOutput.ts"
import * as InspectCommand from "./InspectCommand.ts"
import * as McpCommand from "./McpCommand.ts"
import * as PlanCommand from "./PlanCommand.ts"
import * as RegenerateCommand from "./RegenerateCommand.ts"
import * as ServeCommand from "./ServeCommand.ts"
import { version } from "./Version.ts"

export { version } from "./Version.ts"

export const command = Command.make("longsora").pipe(
  Command.withDescription(
    "Videos longer than one clip: plan with an LLM, chain clips frame to frame, join with ffmpeg"
  ),
  Command.withSubcommands([
    GenerateCommand.command,
    PlanCommand.command,
    InspectCommand.command,
    RegenerateCommand.command,
    EmulatorCommand.command,
    McpCommand.command,
    ServeCommand.command,
    DoctorCommand.command
  ])
)

/**
 * Prints a failure the way a person can act on it, in the flags they typed (parse errors are
 * printed by `HelpOutput.presenter`).
 */
const report = <A, E>(exit: Exit.Exit<A, E>) => {
  if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) return Effect.void
  const error = Cause.squash(exit.cause)
  if ((error as { _tag?: string })._tag === "ShowHelp") return Effect.void
  // Loaded only when there is something to say: `Messages` brings core's errors with it.
  return Effect.promise(async () => {
    const Messages = await import("./Messages.ts")
    process.stderr.write(`error: ${Messages.render(error)}\n`)
  })
}

export const main = Command.run(command, { version }).pipe(Effect.onExit(report), Effect.provide(HelpOutput.layer))

export const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void) => onExit(ExitCode.of(exit))
