/**
 * Veo 3.1 over the Gemini API (through `@ai-sdk/google`), planned by Gemini: a user with only a
 * Google key makes a 24 s video of three 8 s clips, each starting on the previous clip's last frame.
 *
 *   GOOGLE_GENERATIVE_AI_API_KEY=... node src/main.ts
 *
 * Offline by default: without the key it starts the local emulator, which speaks the Gemini API's
 * video protocol (and plans through its Responses API, as the emulator has no Gemini text model).
 */
import { LongVideoRequest } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { LongSora } from "@longsora/sdk"
import { Effect, Redacted } from "effect"

const emulator = process.env.GOOGLE_GENERATIVE_AI_API_KEY ? undefined : await Emulator.start()
try {
  const key = emulator && Redacted.make(emulator.apiKey)
  const request = new LongVideoRequest.LongVideoRequest({
    prompt: "A red kite rises over a windy beach and loops above the dunes.",
    model: "google:veo-3.1-generate-preview",
    planModel: emulator ? "openai:gpt-5" : "google:gemini-2.5-flash",
    seconds: 24,
    numGenerations: 3,
    outputDir: "longsora-output/google-veo",
    saveSegments: true
  })
  // Online, each provider reads its own env vars; offline, both point at the emulator.
  const services = LongSora.layerConfig({
    aiSdk: emulator && {
      connections: {
        google: { apiKey: key, baseURL: emulator.geminiBaseURL },
        openai: { apiKey: key, baseURL: emulator.baseURL }
      }
    }
  })
  const result = await Effect.runPromise(LongSora.generate(request).pipe(Effect.provide(services)))

  console.log(`Video: ${result.output} (${result.durations.join(" + ")} s of Veo 3.1 at ${result.size})`)
  console.log(`Billed ${result.secondsBilled} s, about $${result.estimatedCostUsd.toFixed(2)}`)
} finally {
  await emulator?.close()
}
