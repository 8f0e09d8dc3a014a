/**
 * `createVideo({ chain: "keyframes" })` through the SDK against an in-process emulator: the
 * keyframes go to the client's own OpenAI Images endpoint (`imageModel`), Veo through its Gemini
 * dialect; an image model that cannot be used is refused before anything is made.
 */
import { Errors } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import { OpenAI } from "@longsora/sdk"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Media from "./Media.ts"

let emu: Emulator.RunningEmulator
let dir: ReturnType<typeof Media.tempDir>

beforeAll(async () => {
  emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.01, fixedSeconds: 0.05 } })
  dir = Media.tempDir("sdk-keyframes")
})
afterAll(async () => {
  await emu.close()
  dir.remove()
})

const client = () => new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
const options = () => ({
  aiSdk: { connections: { google: { apiKey: Redacted.make(emu.apiKey), baseURL: emu.geminiBaseURL } } }
})
const params = (outputDir: string) => ({
  prompt: "A blue lantern rises over a dark lake.",
  model: "google:veo-3.1-generate-preview",
  chain: "keyframes" as const,
  seconds: 8,
  numGenerations: 2,
  outputDir
})

describe("createVideo with chain: keyframes", { timeout: 120_000 }, () => {
  it("renders 3 keyframes on the client's Images endpoint (imageModel) and 2 segments between them", async () => {
    const before = emu.stats()
    const result = await client().createVideo({ ...params(`${dir.path}/veo`), imageModel: "gpt-image-1" }, options())
    expect(result).toMatchObject({ durations: [4, 4], keyframesBilled: 3 })
    // gpt-image-1's price: 3 images at $0.063 beside 8 s at $0.40 (rounded to cents).
    expect(result.estimatedCostUsd).toBeCloseTo(8 * 0.4 + 3 * 0.063, 2)
    const after = emu.stats()
    expect(after.images.generations - before.images.generations).toBe(1)
    expect(after.images.edits - before.images.edits).toBe(2)
    expect(after.createsByDialect.gemini - before.createsByDialect.gemini).toBe(2)
  })

  it("refuses a provider-prefixed or unknown image model before anything is made", async () => {
    const before = emu.stats()
    for (const imageModel of ["google:imagen-4", "gpt-image-9"]) {
      const error = await client()
        .createVideo({ ...params(`${dir.path}/${imageModel.replace(":", "-")}`), imageModel }, options())
        .then(
          () => undefined,
          (e: unknown) => e
        )
      expect(error).toBeInstanceOf(Errors.InvalidRequest)
      expect(error).toMatchObject({ field: "imageModel", given: imageModel })
    }
    const after = emu.stats()
    expect([after.creates, after.images, after.requestsByRoute["POST /v1/responses"]]).toEqual([
      before.creates,
      before.images,
      before.requestsByRoute["POST /v1/responses"]
    ])
  })
})
