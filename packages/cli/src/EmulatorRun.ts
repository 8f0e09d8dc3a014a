/** What `longsora emulator` runs (loaded by its handler): the local OpenAI-compatible server, until Ctrl-C. */
import { Emulator } from "@longsora/emulator"
import * as EmulatorFlags from "@longsora/emulator/Flags"
import { Console, Effect } from "effect"

export const run = Effect.fnUntraced(function* (flags: EmulatorFlags.Parsed) {
  yield* Effect.gen(function* () {
    const server = yield* Emulator.EmulatorServer
    yield* Console.log(`LongSora emulator listening on ${server.baseURL} (API key: ${server.apiKey})`)
    yield* Console.log(
      `Try: OPENAI_BASE_URL=${server.baseURL} OPENAI_API_KEY=${server.apiKey} longsora generate "…" --seconds 8`
    )
    return yield* Effect.never
  }).pipe(Effect.provide(Emulator.layer(EmulatorFlags.toOptions(flags))))
})
