/**
 * The original LongSoraGen example through `@longsora/sdk`:
 *
 *   client = longsora.OpenAI()
 *   result = client.create_video(prompt=..., seconds=..., num_generations=..., output_dir=...)
 *
 * Offline by default: without OPENAI_BASE_URL it starts the local emulator and points the client at it.
 */
import { Emulator } from "@longsora/emulator"
import { OpenAI } from "@longsora/sdk"

const emulator = process.env.OPENAI_BASE_URL ? undefined : await Emulator.start()
try {
  // With OPENAI_BASE_URL set, `new OpenAI()` reads OPENAI_API_KEY and OPENAI_BASE_URL like the official client.
  const client = emulator ? new OpenAI({ apiKey: emulator.apiKey, baseURL: emulator.baseURL }) : new OpenAI()

  const result = await client.createVideo({
    prompt: "A woman is dancing in a bunch of trees.",
    seconds: 8, // the total: 2 clips of 4 s (try 24 with numGenerations 3 for 3 clips of 8 s)
    numGenerations: 2,
    outputDir: "longsora-output/basic",
    verbose: true // progress lines on stderr
  })

  console.log(
    `Video: ${result.output} (${result.durations.join(" + ")} s, ${result.size}, joined by ${result.joinMethod})`
  )
  for (const segment of result.segments) {
    console.log(`  segment ${segment.index}: ${segment.jobId} ${segment.seconds} s  ${segment.prompt}`)
  }
  console.log(`Billed ${result.secondsBilled} s, about $${result.estimatedCostUsd.toFixed(2)}`)
} finally {
  await emulator?.close()
}
