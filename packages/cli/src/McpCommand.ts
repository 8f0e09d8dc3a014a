/** `longsora mcp`: the MCP server over stdio, on the same services as every other command. */
import * as Defaults from "@longsora/mcp/Defaults"
import { Effect, Path } from "effect"
import { Command, Flag } from "effect/cli"
import * as Confirm from "./Confirm.ts"
import { requestFlags } from "./Flags.ts"
import { version } from "./Version.ts"

export const command = Command.make(
  "mcp",
  {
    offline: requestFlags.offline,
    baseUrl: requestFlags.baseUrl,
    runsDir: Flag.String("runs-dir").pipe(
      Flag.withDescription(`Where runs are made and found, one directory each (default ${Defaults.runsDir})`),
      Flag.withDefault(Defaults.runsDir)
    ),
    confirmAbove: Flag.Finite("confirm-above").pipe(
      Flag.withDescription(
        `Ask the user before runs estimated above this many USD (default ${Defaults.confirmAboveUsd})`
      ),
      Flag.withDefault(Defaults.confirmAboveUsd)
    )
  },
  Effect.fnUntraced(function* ({ offline, baseUrl, runsDir, confirmAbove }) {
    yield* Confirm.checkThreshold(confirmAbove)
    const path = yield* Path.Path
    // Loaded here, not at start-up: the MCP server's modules would slow every other command.
    const LongSoraMcp = yield* Effect.promise(() => import("@longsora/mcp/LongSoraMcp"))
    const Services = yield* Effect.promise(() => import("./Services.ts"))
    yield* LongSoraMcp.serve({
      // One preview or one run at a time, wired as `plan` and `generate` wire theirs.
      services: ({ purpose, model, planModel, outputDir, imageModel }) =>
        Services.layer({
          offline,
          baseUrl,
          models: [],
          model,
          planModel,
          imageModel,
          dryRun: purpose === "preview",
          emulatorDataDir: purpose === "run" ? Services.emulatorDataDir(path, outputDir) : undefined
        }),
      runsDir,
      // Offline runs are not billed, so there is nothing to confirm (as with generate --offline).
      confirmAbove: offline ? undefined : confirmAbove,
      version
    })
  })
).pipe(
  Command.withDescription("Serve LongSora to AI assistants over the Model Context Protocol (stdio)"),
  Command.withExamples([
    { command: "longsora mcp", description: "Register in your MCP client as command longsora, args [mcp]" },
    { command: "longsora mcp --offline --runs-dir ./runs", description: "On the embedded emulator: nothing billed" }
  ])
)
