/**
 * A model served by an OpenAI-compatible gateway that is not Sora 2: declare what it can do (clip
 * lengths, sizes, price) with `SoraCapabilities.gatewayModel` and pass it to `createVideo`.
 * Here `veo-3.1` takes clips of 4, 6 or 8 s, so 10 s in 2 segments is split 6 + 4.
 *
 *   OPENAI_BASE_URL=https://my-gateway.example/v1 OPENAI_API_KEY=... node src/main.ts
 *
 * Offline by default: without OPENAI_BASE_URL it starts the local emulator with veo-3.1 in its model table.
 */
import { Emulator } from "@longsora/emulator"
import { OpenAI } from "@longsora/sdk"
import { SoraCapabilities } from "@longsora/sora-provider"

const veo = SoraCapabilities.gatewayModel({
  model: "veo-3.1",
  clipLengths: [4, 6, 8],
  sizes: [{ size: "1280x720", usdPerSecond: 0.4 }]
})

const emulator = process.env.OPENAI_BASE_URL
  ? undefined
  : await Emulator.start({ models: { "veo-3.1": { seconds: ["4", "6", "8"], sizes: ["1280x720"] } } })
try {
  const client = emulator ? new OpenAI({ apiKey: emulator.apiKey, baseURL: emulator.baseURL }) : new OpenAI()

  const result = await client.createVideo(
    {
      prompt: "A red kite rises over a windy beach and loops above the dunes.",
      model: "veo-3.1",
      seconds: 10,
      numGenerations: 2,
      outputDir: "longsora-output/gateway"
    },
    { models: [veo] }
  )

  console.log(`Video: ${result.output} (${result.durations.join(" + ")} s of veo-3.1 at ${result.size})`)
  console.log(`Jobs: ${result.jobIds.join(", ")}`)
  console.log(`Billed ${result.secondsBilled} s, about $${result.estimatedCostUsd.toFixed(2)}`)
} finally {
  await emulator?.close()
}
