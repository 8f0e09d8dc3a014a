/** What `longsora emulator` runs (loaded by its handler): the local OpenAI-compatible server, until Ctrl-C. */
import { Emulator } from "@longsora/emulator"
import { Console, Effect } from "effect"
import type { EmulatorFlags } from "./EmulatorCommand.ts"

export const run = Effect.fnUntraced(function* ({ port, secondsPerVideoSecond, dataDir }: EmulatorFlags) {
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
