/** `longsora inspect DIR`: its flags; `InspectRun` runs it. */
import { Argument, Command, Flag } from "effect/cli"
import * as Lazy from "./Lazy.ts"

export const flags = {
  dir: Argument.String("dir").pipe(Argument.withDescription("The --output directory of a run")),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the report as JSON"), Flag.withDefault(false))
} as const

export type InspectFlags = Command.Command.Config.Infer<typeof flags>

export const command = Command.make(
  "inspect",
  flags,
  Lazy.handler(() => import("./InspectRun.ts"))
).pipe(
  Command.withDescription(
    "Check a finished run: streams, A/V sync, seam quality (picture and sound), drift from segment 1, and a contact sheet of every seam"
  )
)
