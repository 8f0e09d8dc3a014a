/** Runs the command line with Node's services; the entry point `bin.ts` loads it. */
// Deep imports: the package barrel would also load the Redis client (hundreds of modules).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Logger } from "effect"
import * as Cli from "./Cli.ts"

// Logs go to stderr: stdout carries results and, with --json, one JSON event per line.
const program = Cli.main.pipe(Effect.provideService(Logger.LogToStderr, true), Effect.provide(NodeServices.layer))

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: Cli.teardown
})
