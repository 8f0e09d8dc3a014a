/** `client.regenerate`: the Promise API over core's `Regenerate`, against the emulator with every create counted. */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { LongSora, OpenAI } from "@longsora/sdk"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as Media from "./Media.ts"

describe("regenerate (SDK)", { timeout: 180_000 }, () => {
  it("previews the cost, then makes the last segment again, keeping the first version", async () => {
    const emu = await Emulator.start()
    const dir = Media.tempDir("regenerate")
    try {
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const outputDir = join(dir.path, "output")
      await client.createVideo({ prompt: "A paper boat drifts down a rainy street.", durations: [4, 4], outputDir })
      expect(emu.stats().creates).toBe(2)

      const preview = await Effect.runPromise(
        LongSora.regeneratePreview({ outputDir, segment: 2 }).pipe(
          Effect.provide(LongSora.layer({ apiKey: emu.apiKey, baseURL: emu.baseURL }))
        )
      )
      expect(preview).toMatchObject({ segments: [2], seconds: 4, estimatedCostUsd: 0.4, resuming: false })
      expect(emu.stats().creates).toBe(2)

      const result = await client.regenerate({ outputDir, segment: 2 })
      expect(emu.stats().creates).toBe(3)
      expect(result.segments.map((s) => s.version)).toEqual([undefined, 2])
      expect(existsSync(join(outputDir, "segments", "segment_02.v1.mp4"))).toBe(true)
      expect(existsSync(result.output)).toBe(true)
    } finally {
      await emu.close()
      dir.remove()
    }
  })
})
