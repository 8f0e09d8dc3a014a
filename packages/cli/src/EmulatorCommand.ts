/** `longsora emulator [--port] [--data-dir]`: its flags; `EmulatorRun` runs it. */
import { Command, Flag } from "effect/cli"
import * as Lazy from "./Lazy.ts"

export const flags = {
  port: Flag.Int("port").pipe(Flag.withDescription("Port (0 picks a free one)"), Flag.withDefault(0)),
  secondsPerVideoSecond: Flag.Finite("seconds-per-video-second").pipe(
    Flag.withDescription("Simulated render time per second of video"),
    Flag.optional
  ),
  dataDir: Flag.String("data-dir").pipe(
    Flag.withDescription("Keep jobs, uploads and renders here, across restarts (default: a temp dir removed on exit)"),
    Flag.optional
  )
} as const

export type EmulatorFlags = Command.Command.Config.Infer<typeof flags>

export const command = Command.make(
  "emulator",
  flags,
  Lazy.handler(() => import("./EmulatorRun.ts"))
).pipe(Command.withDescription("Start the local OpenAI-compatible emulator (Videos + Responses APIs)"))
