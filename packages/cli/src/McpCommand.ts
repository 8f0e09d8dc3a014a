/** `longsora mcp`: the MCP server over stdio, on the same services as every other command. */
import * as Defaults from "@longsora/mcp/Defaults"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { requestFlags } from "./Flags.ts"
import * as Services from "./Services.ts"

export const command = Command.make(
  "mcp",
  {
    offline: requestFlags.offline,
    baseUrl: requestFlags.baseUrl,
    runsDir: Flag.String("runs-dir").pipe(
      Flag.withDescription("Where runs are made and found, one directory each"),
      Flag.withDefault(Defaults.runsDir)
    ),
    confirmAbove: Flag.Finite("confirm-above").pipe(
      Flag.withDescription("Ask the user before runs estimated above this many USD"),
      Flag.withDefault(Defaults.confirmAboveUsd)
    )
  },
  Effect.fnUntraced(function* ({ offline, baseUrl, runsDir, confirmAbove }) {
    const target = { offline, baseUrl, models: [] }
    // Loaded here, not at start-up: the MCP server's modules would slow every other command.
    const LongSoraMcp = yield* Effect.promise(() => import("@longsora/mcp/LongSoraMcp"))
    yield* LongSoraMcp.serve({
      services: Services.layer(target),
      previewServices: Services.layer({ ...target, dryRun: true }),
      runsDir,
      // Offline runs are not billed, so there is nothing to confirm (as with generate --offline).
      confirmAbove: offline ? undefined : confirmAbove
    })
  })
).pipe(
  Command.withDescription("Serve LongSora to AI assistants over the Model Context Protocol (stdio)"),
  Command.withExamples([
    { command: "longsora mcp", description: "Register in your MCP client as command longsora, args [mcp]" },
    { command: "longsora mcp --offline --runs-dir ./runs", description: "On the embedded emulator: nothing billed" }
  ])
)
