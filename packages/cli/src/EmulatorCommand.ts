/** `longsora emulator [--port] [--data-dir]`: the local OpenAI-compatible server, until Ctrl-C. */
import { Emulator } from "@longsora/emulator"
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"

export const command = Command.make(
  "emulator",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("Port (0 picks a free one)"), Flag.withDefault(0)),
    secondsPerVideoSecond: Flag.Finite("seconds-per-video-second").pipe(
      Flag.withDescription("Simulated render time per second of video"),
      Flag.optional
    ),
    dataDir: Flag.String("data-dir").pipe(
      Flag.withDescription(
        "Keep jobs, uploads and renders here, across restarts (default: a temp dir removed on exit)"
      ),
      Flag.optional
    )
  },
  Effect.fnUntraced(function* ({ port, secondsPerVideoSecond, dataDir }) {
    const render = secondsPerVideoSecond._tag === "Some" ? { secondsPerVideoSecond: secondsPerVideoSecond.value } : {}
    const storage = dataDir._tag === "Some" ? { dataDir: dataDir.value } : {}
    yield* Effect.gen(function* () {
      const server = yield* Emulator.EmulatorServer
      yield* Console.log(`LongSora emulator listening on ${server.baseURL} (API key: ${server.apiKey})`)
      yield* Console.log(
        `Try: OPENAI_BASE_URL=${server.baseURL} OPENAI_API_KEY=${server.apiKey} longsora generate "…" --seconds 8`
      )
      return yield* Effect.never
    }).pipe(Effect.provide(Emulator.layer({ port, render, ...storage })))
  })
).pipe(Command.withDescription("Start the local OpenAI-compatible emulator (Videos + Responses APIs)"))
