#!/usr/bin/env node
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import * as Cli from "./Cli.ts"

NodeRuntime.runMain(Cli.main.pipe(Effect.provide(NodeServices.layer)), {
  disableErrorReporting: true,
  teardown: Cli.teardown
})
