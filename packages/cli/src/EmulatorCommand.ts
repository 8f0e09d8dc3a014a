/**
 * `longsora emulator [flags]`: every flag of `longsora-emulator`, from the emulator's own table
 * (`@longsora/emulator/Flags`, which loads no server code); `EmulatorRun` runs it.
 */
import * as EmulatorFlags from "@longsora/emulator/Flags"
import { Command } from "effect/cli"
import * as Lazy from "./Lazy.ts"

export const command = Command.make(
  "emulator",
  EmulatorFlags.flags,
  Lazy.handler(() => import("./EmulatorRun.ts"))
).pipe(
  Command.withDescription(
    `Start the local OpenAI-compatible emulator (Videos + Responses APIs, Gemini and fal dialects). ${EmulatorFlags.perRequestFaults}`
  )
)
