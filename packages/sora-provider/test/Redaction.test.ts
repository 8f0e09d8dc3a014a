/**
 * The API key never appears in logs, errors or written files: runs that log at every level, fail
 * in several ways (lost create, 429s, moderation, a 401 from a server that knows another key) and
 * write a clip, then scan everything they produced for the key.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@longsora/emulator"
import { OpenAiClient } from "@longsora/openai-client"
import { Cause, Effect, Logger, Redacted, References } from "effect"
import { vi } from "vitest"
import { filesUnder, generate, generatorLayer, KEY, provide, spec, useEmulator } from "./helpers.ts"

vi.setConfig({ testTimeout: 40_000 })

const env = useEmulator()

describe("API key redaction", () => {
  it.live("the key appears in no log line, error or written file", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const capture = Logger.make((options) => {
        lines.push(`${inspect(options.message, { depth: 8 })} ${Cause.pretty(options.cause)}`)
      })
      const logged = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        effect.pipe(
          // Whatever an application would log about the outcome, including the full error and cause.
          Effect.tapError((error) => Effect.logError("segment failed", error)),
          Effect.tap((value) => Effect.logInfo("segment done", value)),
          Effect.exit,
          Effect.provide(Logger.layer([capture])),
          Effect.provideService(References.MinimumLogLevel, "All")
        )

      env.emu().setFaults({ loseCreateResponse: { count: 1 }, rateLimit: { count: 2, retryAfterMs: 50 } })
      const ok = yield* logged(provide(generate(spec(), join(env.dir(), "ok.mp4")), generatorLayer(env.emu())))
      env.emu().setFaults({ moderation: { count: 1 } })
      const moderated = yield* logged(
        provide(generate(spec(), join(env.dir(), "moderated.mp4")), generatorLayer(env.emu()))
      )
      // A server that expects a different key answers 401 to ours.
      const other = yield* Effect.promise(() => Emulator.start({ apiKey: "sk-some-other-key" }))
      const unauthorized = yield* logged(
        provide(generate(spec(), join(env.dir(), "unauthorized.mp4")), generatorLayer(other))
      ).pipe(Effect.ensuring(Effect.promise(() => other.close())))

      assert.strictEqual(ok._tag, "Success")
      assert.strictEqual(moderated._tag, "Failure")
      assert.strictEqual(unauthorized._tag, "Failure")
      const outcomes = [ok, moderated, unauthorized].map((exit) =>
        exit._tag === "Failure"
          ? `${Cause.pretty(exit.cause)} ${inspect(exit.cause, { depth: 8 })}`
          : inspect(exit.value)
      )
      assert.include(outcomes[2]!, "401")

      const files = filesUnder(env.dir())
      assert.isAbove(files.length, 0)
      const written = files.map((file) => readFileSync(file).toString("latin1"))
      const config = inspect(
        Effect.runSync(OpenAiClient.config({ apiKey: Redacted.make(KEY), baseURL: env.emu().baseURL })),
        { depth: 4 }
      )
      for (const text of [...lines, ...outcomes, ...written, config]) assert.notInclude(text, KEY)
      assert.isAbove(lines.length, 2)
    })
  )
})
