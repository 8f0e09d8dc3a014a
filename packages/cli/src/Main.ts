/** Runs the command line with Node's services; the entry point `bin.ts` loads it. */
// Deep imports: the package barrel would also load the Redis client (hundreds of modules).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import * as Cli from "./Cli.ts"

NodeRuntime.runMain(Cli.main.pipe(Effect.provide(NodeServices.layer)), {
  disableErrorReporting: true,
  teardown: Cli.teardown
})
