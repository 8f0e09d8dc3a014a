import { assert, describe, it } from "@effect/vitest"
import { Capabilities } from "@longsora/core"
import type OpenAI from "openai"
import * as JobRecovery from "../src/JobRecovery.ts"
import * as Polling from "../src/Polling.ts"
import * as ReferenceImage from "../src/ReferenceImage.ts"
import * as SoraCapabilities from "../src/SoraCapabilities.ts"

const options: Polling.PollingOptions = { ...Polling.defaultPollingOptions, expectedRenderMs: () => 60_000 }

describe("Polling", () => {
  it("polls at half the expected remaining time before progress moves", () => {
    // The first look comes early (firstPollMs) to learn the progress rate.
    const delay = Polling.nextDelayMs({ submittedAt: 0, now: 0, seconds: 8, observations: [] }, options)
    assert.strictEqual(delay, 3_000)
    const second = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 3_000,
        seconds: 8,
        observations: [
          { at: 0, progress: 0 },
          { at: 3_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(second, 15_000) // 28.5 s, capped to maxIntervalMs
    const later = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 50_000,
        seconds: 8,
        observations: [
          { at: 3_000, progress: 0 },
          { at: 50_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(later, 5_000)
  })

  it("uses the observed progress rate and polls sooner near the end", () => {
    // 10% → 50% in 20 s: 2%/s, 50% left → 25 s remaining → wait 12.5 s.
    const observations = [
      { at: 10_000, progress: 10 },
      { at: 30_000, progress: 50 }
    ]
    assert.strictEqual(Polling.nextDelayMs({ submittedAt: 0, now: 30_000, seconds: 8, observations }, options), 12_500)
    const nearEnd = [...observations, { at: 50_000, progress: 90 }]
    assert.strictEqual(
      Polling.nextDelayMs({ submittedAt: 0, now: 50_000, seconds: 8, observations: nearEnd }, options),
      2_500
    )
  })

  it("near the end, polls once just after the estimated end instead of halving again", () => {
    // 2 %/s and 97 % at 48.5 s: 1.5 s left, under two minimum intervals → wait 1.5 s + 150 ms.
    const observations = [
      { at: 10_000, progress: 20 },
      { at: 48_500, progress: 97 }
    ]
    assert.strictEqual(Polling.nextDelayMs({ submittedAt: 0, now: 48_500, seconds: 8, observations }, options), 1_650)
    // Still clamped to once a second when the end is closer than that.
    const almost = [...observations, { at: 49_700, progress: 99.4 }]
    assert.strictEqual(
      Polling.nextDelayMs({ submittedAt: 0, now: 49_700, seconds: 8, observations: almost }, options),
      1_000
    )
  })

  it("never polls more often than once a second, and backs off when late", () => {
    const observations = [
      { at: 0, progress: 1 },
      { at: 1_000, progress: 99 }
    ]
    assert.strictEqual(Polling.nextDelayMs({ submittedAt: 0, now: 1_000, seconds: 4, observations }, options), 1_000)
    const late = Polling.nextDelayMs(
      {
        submittedAt: 0,
        now: 100_000,
        seconds: 8,
        observations: [
          { at: 3_000, progress: 0 },
          { at: 100_000, progress: 0 }
        ]
      },
      options
    )
    assert.strictEqual(late, 10_000) // 40 s late → wait a quarter of that
  })

  it("honours retry-after", () => {
    const delay = Polling.nextDelayMs(
      { submittedAt: 0, now: 0, seconds: 8, observations: [], retryAfterMs: 20_000 },
      options
    )
    assert.strictEqual(delay, 20_000)
  })
})

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
    startedAt: 1_000
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
  })

  it("picks the earliest match nobody owns", () => {
    const recent = [video({ id: "video_c", created_at: 1_003 }), video({ id: "video_b", created_at: 1_002 }), video({})]
    assert.strictEqual(JobRecovery.pickCreated(recent, request, new Set(), recovery)?.id, "video_a")
    assert.strictEqual(JobRecovery.pickCreated(recent, request, new Set(["video_a"]), recovery)?.id, "video_b")
    assert.isUndefined(JobRecovery.pickCreated(recent, request, new Set(["video_a", "video_b", "video_c"]), recovery))
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
