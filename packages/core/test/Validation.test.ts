/**
 * Every numeric argument is bounded by what the model and one run can take, and the error says the
 * bound; none of these may take longer than the validation of a normal request.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Capabilities, Errors, LongVideoRequest, Validation } from "../src/index.ts"

const sora: Capabilities.ProviderCapabilities = {
  model: "sora-2",
  clipLengths: { _tag: "ClipLengthSet", seconds: [4, 8, 12] },
  sizes: [{ size: "1280x720", usdPerSecond: 0.1 }],
  firstFrameImage: true,
  maxPromptLength: 32_000,
  maxConcurrentJobs: 2
}

const request = (fields: Partial<ConstructorParameters<typeof LongVideoRequest.LongVideoRequest>[0]>) =>
  new LongVideoRequest.LongVideoRequest({
    prompt: "A lighthouse at dusk",
    model: "sora-2",
    planModel: "gpt-5",
    outputDir: "out",
    saveSegments: true,
    ...fields
  })

const invalid = (fields: Parameters<typeof request>[0], capabilities = sora): Errors.InvalidRequest => {
  const result = Validation.checkArguments(request(fields), capabilities)
  if (Result.isSuccess(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.success)}`)
  if (result.failure._tag !== "InvalidRequest")
    throw new Error(`expected InvalidRequest, got ${result.failure.message}`)
  return result.failure
}

describe("Validation bounds", () => {
  it("refuses a total beyond maxSegments of the longest clip, saying the bound", () => {
    for (const seconds of [1_000_001, 3_000_000, 1e9, Number.MAX_SAFE_INTEGER]) {
      const error = invalid({ seconds, numGenerations: 3 })
      expect(error.field).toBe("seconds")
      expect(error.message).toContain(`Invalid seconds: ${seconds}`)
      expect(error.allowed).toContain(`from 1 to ${12 * LongVideoRequest.maxSegments}`)
    }
    const { maxSegments } = LongVideoRequest
    const most = Validation.checkArguments(request({ seconds: 12 * maxSegments, numGenerations: maxSegments }), sora)
    expect(Result.isSuccess(most) && most.success.durations).toHaveLength(maxSegments)
  })

  it("refuses more segments than a run makes, as a count, a split or a plan", () => {
    expect(invalid({ seconds: 24, numGenerations: 1_000_000 }).allowed).toContain(
      `from 1 to ${LongVideoRequest.maxSegments}`
    )
    expect(invalid({ seconds: 24, numGenerations: 0 }).field).toBe("numGenerations")
    const split = invalid({ durations: Array(LongVideoRequest.maxSegments + 1).fill(4) })
    expect(split.field).toBe("durations")
    expect(split.message).toContain(`${LongVideoRequest.maxSegments + 1} lengths`)
  })

  it("refuses a concurrency that is not 1 to maxSegments segments at once", () => {
    for (const maxConcurrency of [0, -1, 1.5, LongVideoRequest.maxSegments + 1]) {
      expect(invalid({ seconds: 24, maxConcurrency }).field).toBe("maxConcurrency")
    }
  })

  it("refuses a declared size beyond 4K", () => {
    const huge = { ...sora, sizes: [{ size: "100000x100000", usdPerSecond: 0 }] } as const
    expect(invalid({ seconds: 24 }, huge).message).toContain(`each side from 1 to ${Capabilities.maxSidePixels} pixels`)
  })

  it("refuses declared clip lengths beyond what a model may take, before solving", () => {
    const huge = { ...sora, clipLengths: { _tag: "ClipLengthRange", min: 4, max: 1e9, step: 1 } } as const
    const error = invalid({ seconds: 24 }, huge)
    expect(error.field).toBe("model")
    expect(error.message).toContain(`1 to ${Capabilities.maxClipSeconds} s`)
  })
})

describe("Error messages", () => {
  it("name other fields through the reader's names: field names for the SDK, anything for a front-end", () => {
    const error = invalid({ durations: [12, 8], numGenerations: 3 })
    expect(error.message).toBe(
      "Invalid durations: 2 lengths. Allowed: exactly numGenerations = 3 lengths. Give one length per segment, or leave numGenerations out."
    )
    const flags = (field: string) => ({ durations: "--durations", numGenerations: "--segments" })[field] ?? field
    expect(error.format(flags)).toBe(
      "Invalid --durations: 2 lengths. Allowed: exactly --segments = 3 lengths. Give one length per segment, or leave --segments out."
    )
    const unformable = new Errors.UnformableDuration({
      seconds: 24,
      count: 10,
      clipLengths: "4, 8 or 12 s",
      nearestTotals: [40],
      validCounts: [2, 3]
    })
    expect(unformable.format(flags)).toContain("Try seconds 40 with 10 segments; or --segments 2, 3 for 24 s.")
  })

  it("end every sentence of a generation error with a full stop", () => {
    const error = new Errors.GenerationError({
      segment: 2,
      jobId: "video_1",
      kind: "timeout",
      reason: "job video_1 was still queued (0%) after 2 s",
      fix: "Raise the poll timeout, or resume job video_1 later"
    })
    expect(error.message).toBe(
      "Segment 2 (job video_1) timeout: job video_1 was still queued (0%) after 2 s. Raise the poll timeout, or resume job video_1 later."
    )
  })
})
