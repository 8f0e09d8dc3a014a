/** `longsora plan PROMPT …`: its flags; `PlanRun` runs it. */
import { Argument, Command, Flag } from "effect/cli"
import { planFlags } from "./Flags.ts"
import * as Lazy from "./Lazy.ts"

export const flags = {
  prompt: Argument.String("prompt").pipe(Argument.withDescription("What the video shows")),
  ...planFlags,
  out: Flag.String("out").pipe(
    Flag.withDescription("Where to write the plan (default plan.json)"),
    Flag.withDefault("plan.json")
  )
} as const

export type PlanFlags = Command.Command.Config.Infer<typeof flags>

export const command = Command.make(
  "plan",
  flags,
  Lazy.handler(() => import("./PlanRun.ts"))
).pipe(Command.withDescription("Write the story plan to an editable plan.json without generating anything"))
