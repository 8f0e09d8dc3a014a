#!/usr/bin/env node
/**
 * The `longsora-emulator` executable. It turns on Node's compile cache before anything else is loaded
 * (many tests start it as a child process: a later start skips parsing), then runs the command.
 */
import * as NodeModule from "node:module"

NodeModule.enableCompileCache?.()
await import("./EmulatorCli.ts")
