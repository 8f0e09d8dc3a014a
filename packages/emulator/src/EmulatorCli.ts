/**
 * `longsora-emulator`'s command (run by `bin.ts`): starts the emulator, prints its base URL, stops
 * cleanly on SIGINT/SIGTERM. Its flags are `Flags.flags`, shared with `longsora emulator`; the
 * server's modules are loaded only when it starts (not for `--help` or `--version`).
 */
import { createRequire } from "node:module"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit } from "effect"
import { Command } from "effect/cli"
import * as Flags from "./Flags.ts"

/** `../package.json` from both `src/` and `dist/`. */
const version: string = createRequire(import.meta.url)("../package.json").version

const serve = Effect.fnUntraced(function* (parsed: Flags.Parsed) {
  const { start } = yield* Effect.promise(() => import("./Emulator.ts"))
  const emulator = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(Flags.toOptions(parsed)),
      catch: (cause) => new Error(`longsora-emulator: ${cause instanceof Error ? cause.message : String(cause)}`)
    }),
    (running) =>
      Console.error("longsora-emulator: shutting down").pipe(Effect.andThen(Effect.promise(() => running.close())))
  )
  // stdout stays one line (the OpenAI base URL) for scripts; the dialects' URLs go to stderr.
  yield* Console.log(emulator.baseURL)
  yield* Console.error(
    `longsora-emulator: OpenAI ${emulator.baseURL} · Gemini ${emulator.geminiBaseURL} · fal queue ${emulator.falQueueURL} (stands for https://queue.fal.run) · xAI ${emulator.xaiBaseURL}`
  )
  return yield* Effect.never
}, Effect.scoped)

const command = Command.make("longsora-emulator", Flags.flags, serve).pipe(
  Command.withDescription(
    `The local OpenAI-compatible emulator (Videos, Responses, Files; Gemini, fal and xAI dialects): real MP4s, no key, nothing billed. ${Flags.perRequestFaults}`
  )
)

const program = Command.run(command, { version }).pipe(
  Effect.tapError((error) => (error instanceof Error ? Console.error(error.message) : Effect.void)),
  Effect.provide(NodeServices.layer)
)

// Stopped by SIGINT/SIGTERM (an interruption) is a clean end: exit 0, as scripts and tests expect.
NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) ? 1 : 0)
})
