import { assert, describe, it } from "@effect/vitest"
import { Capabilities } from "@longsora/core"
import { ReferenceImage } from "@longsora/provider-kit"
import type OpenAI from "openai"
import * as JobRecovery from "../src/JobRecovery.ts"
import * as SoraCapabilities from "../src/SoraCapabilities.ts"

const video = (overrides: Partial<OpenAI.Videos.Video>): OpenAI.Videos.Video => ({
  id: "video_a",
  object: "video",
  model: "sora-2",
  status: "queued",
  progress: 0,
  created_at: 1_000,
  completed_at: null,
  expires_at: null,
  prompt: "a lighthouse at dusk",
  seconds: "8",
  size: "1280x720",
  remixed_from_video_id: null,
  error: null,
  ...overrides
})

describe("JobRecovery", () => {
  const request: JobRecovery.CreateRequest = {
    prompt: "a lighthouse at dusk",
    model: "sora-2",
    seconds: "8",
    size: "1280x720",
    startedAt: 1_000,
    until: 1_600
  }
  const recovery = JobRecovery.defaultRecoveryOptions

  it("matches prompt, model, seconds, size and creation time", () => {
    assert.isTrue(JobRecovery.matches(video({}), request, recovery))
    assert.isTrue(JobRecovery.matches(video({ model: "sora-2-2025-12-08" }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ prompt: "another" }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ prompt: null }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ seconds: "4" }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ size: "720x1280" }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ model: "sora-2-pro" }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ created_at: 900 }), request, recovery))
    assert.isTrue(JobRecovery.matches(video({ created_at: 980 }), request, recovery)) // within skew
    // After the create's timeout, that create can no longer have made the job.
    assert.isTrue(JobRecovery.matches(video({ created_at: 1_620 }), request, recovery))
    assert.isFalse(JobRecovery.matches(video({ created_at: 1_700 }), request, recovery))
  })

  it("adopts only when exactly one match is owned by nobody", () => {
    const recent = [video({ id: "video_c", created_at: 1_003 }), video({ id: "video_b", created_at: 1_002 }), video({})]
    const pick = (owned: ReadonlyArray<string>, isOwned?: (id: string) => boolean) =>
      JobRecovery.pickCreated(recent, { ...request, isOwned }, new Set(owned), recovery)
    assert.deepStrictEqual(pick([]), { _tag: "Ambiguous", candidates: [recent[2], recent[1], recent[0]] })
    assert.deepStrictEqual(pick(["video_a", "video_b"]), { _tag: "Adopt", video: recent[0] })
    // Jobs of other segments and runs (the caller's registry) count as owned too.
    assert.deepStrictEqual(
      pick(["video_a"], (id) => id === "video_c"),
      { _tag: "Adopt", video: recent[1] }
    )
    assert.deepStrictEqual(pick(["video_a", "video_b", "video_c"]), { _tag: "None" })
  })
})

describe("ReferenceImage", () => {
  it("derives the MIME type from magic bytes, then the extension", () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 5, 0, 0, 0, 2, 0xd0
    ])
    assert.strictEqual(ReferenceImage.mimeFromBytes(png), "image/png")
    assert.deepStrictEqual(ReferenceImage.dimensions(png, "image/png"), { width: 1280, height: 720 })
    assert.strictEqual(ReferenceImage.mimeFromBytes(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), "image/jpeg")
    const webp = new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 ")
    assert.strictEqual(ReferenceImage.mimeFromBytes(webp), "image/webp")
    assert.isUndefined(ReferenceImage.mimeFromBytes(new TextEncoder().encode("hello")))
    assert.strictEqual(ReferenceImage.mimeFromName("frame.JPG"), "image/jpeg")
  })
})

describe("SoraCapabilities", () => {
  it("publishes the Sora 2 table and declared gateway models", () => {
    const models = SoraCapabilities.table([
      SoraCapabilities.gatewayModel({
        model: "veo-3.1",
        clipLengths: [4, 6, 8],
        sizes: [{ size: "1280x720", usdPerSecond: 0.4 }]
      }),
      SoraCapabilities.gatewayModel({
        model: "wan-2.6",
        clipLengths: { min: 2, max: 15 },
        sizes: [{ size: "1280x720" }]
      })
    ])
    const sora = models.get("sora-2")!
    assert.deepStrictEqual(Capabilities.clipLengthValues(sora.clipLengths), [4, 8, 12])
    assert.deepStrictEqual(sora.sizes.map((s) => s.size).sort(), ["1280x720", "720x1280"])
    assert.strictEqual(models.get("sora-2-pro")!.sizes.find((s) => s.size === "1920x1080")?.usdPerSecond, 0.7)
    assert.strictEqual(models.get("sora-2-pro")!.sizes.find((s) => s.size === "1280x720")?.usdPerSecond, 0.3)
    assert.strictEqual(sora.maxPromptLength, 32_000)
    assert.deepStrictEqual(Capabilities.clipLengthValues(models.get("veo-3.1")!.clipLengths), [4, 6, 8])
    assert.isTrue(Capabilities.acceptsClipLength(models.get("wan-2.6")!.clipLengths, 11))
  })
})
