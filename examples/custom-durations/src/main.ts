/**
 * A custom split instead of an even one: `durations` gives every clip's length, in order (each one
 * the model accepts: 4, 8 or 12 s for Sora 2), and replaces `seconds` / `numGenerations`.
 *
 *   node src/main.ts            # [8, 4]: quick, what CI runs
 *   node src/main.ts 12 8 4     # the 24 s split from the docs
 *
 * Offline by default: without OPENAI_BASE_URL it starts the local emulator and points the client at it.
 */
import { Emulator } from "@longsora/emulator"
import { OpenAI } from "@longsora/sdk"

const given = process.argv.slice(2).map(Number)
const durations = given.length > 0 ? given : [8, 4]

const emulator = process.env.OPENAI_BASE_URL ? undefined : await Emulator.start()
try {
  const client = emulator ? new OpenAI({ apiKey: emulator.apiKey, baseURL: emulator.baseURL }) : new OpenAI()

  const result = await client.createVideo({
    prompt: "A lighthouse keeper climbs the stairs at dusk and lights the lamp.",
    durations,
    outputDir: "longsora-output/custom-durations",
    onProgress: (event) => {
      if (event._tag === "SegmentCompleted") console.log(`segment ${event.segment} done (${event.jobId})`)
    }
  })

  console.log(`Video: ${result.output} (${result.durations.join(" + ")} s)`)
  result.plan.segments.forEach((segment, i) => {
    console.log(`  ${i + 1}. ${segment.seconds} s  ${segment.prompt}`)
  })
  console.log(`Billed ${result.secondsBilled} s, about $${result.estimatedCostUsd.toFixed(2)}`)
} finally {
  await emulator?.close()
}
