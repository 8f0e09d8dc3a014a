#!/usr/bin/env node
/**
 * The `longsora` executable. It turns on Node's compile cache before anything else is loaded (a
 * later start skips parsing), then loads the command line.
 */
import * as NodeModule from "node:module"

NodeModule.enableCompileCache?.()
await import("./Main.ts")
