/** `longsora doctor`: its flags; `DoctorRun` runs the checks. */
import { Command, Flag } from "effect/cli"
import * as Lazy from "./Lazy.ts"

export const flags = {
  baseUrl: Flag.String("base-url").pipe(
    Flag.withDescription("Endpoint to check (default OPENAI_BASE_URL)"),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the checks as JSON"), Flag.withDefault(false))
} as const

export type DoctorFlags = Command.Command.Config.Infer<typeof flags>

export const command = Command.make(
  "doctor",
  flags,
  Lazy.handler(() => import("./DoctorRun.ts"))
).pipe(
  Command.withDescription(
    "Check Node, ffmpeg, and each configured provider (OPENAI_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY, FAL_KEY, …), with the fix for each problem"
  )
)
