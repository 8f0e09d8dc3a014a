import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { APIConnectionError, APIError, BadRequestError, InternalServerError, RateLimitError } from "openai"
import { RetryPolicy } from "../src/index.ts"

const headers = (init: Record<string, string>) => new Headers(init)

describe("RetryPolicy", () => {
  it("parses retry-after-ms, retry-after seconds and dates", () => {
    assert.strictEqual(RetryPolicy.retryAfterMs(headers({ "retry-after-ms": "250", "retry-after": "9" })), 250)
    assert.strictEqual(RetryPolicy.retryAfterMs(headers({ "retry-after": "2" })), 2_000)
    const now = Date.parse("2026-11-24T10:00:00Z")
    assert.strictEqual(
      RetryPolicy.retryAfterMs(headers({ "retry-after": "Tue, 24 Nov 2026 10:00:03 GMT" }), now),
      3_000
    )
    assert.strictEqual(RetryPolicy.retryAfterMs(headers({})), undefined)
  })

  it("retries 408/409/429/5xx and connection errors; not 400s", () => {
    const rate = new RateLimitError(429, {}, "slow down", headers({ "retry-after-ms": "100" }))
    assert.deepStrictEqual(RetryPolicy.classify(rate), {
      retryable: true,
      ambiguous: false,
      status: 429,
      retryAfterMs: 100
    })
    const server = RetryPolicy.classify(new InternalServerError(503, {}, "busy", headers({})))
    assert.isTrue(server.retryable && server.ambiguous)
    assert.isTrue(RetryPolicy.classify(APIError.generate(408, {}, "timeout", headers({}))).retryable)
    assert.isTrue(RetryPolicy.classify(APIError.generate(409, {}, "conflict", headers({}))).retryable)
    const lost = RetryPolicy.classify(new APIConnectionError({ message: "reset" }))
    assert.isTrue(lost.retryable && lost.ambiguous)
    assert.isFalse(RetryPolicy.classify(new BadRequestError(400, {}, "bad", headers({}))).retryable)
    assert.isFalse(
      RetryPolicy.classify(new InternalServerError(500, {}, "no", headers({ "x-should-retry": "false" }))).retryable
    )
    const cut = Object.assign(new TypeError("terminated"), {
      cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
    })
    assert.isTrue(RetryPolicy.classify(cut).retryable)
  })

  it("backs off exponentially with jitter, capped, never below retry-after", () => {
    const policy = RetryPolicy.defaultRetryOptions
    assert.strictEqual(RetryPolicy.delayMs(0, policy, undefined, 0), 500)
    assert.strictEqual(RetryPolicy.delayMs(3, policy, undefined, 0), 4_000)
    assert.strictEqual(RetryPolicy.delayMs(10, policy, undefined, 0), 8_000)
    assert.strictEqual(RetryPolicy.delayMs(0, policy, undefined, 1), 375)
    assert.strictEqual(RetryPolicy.delayMs(0, policy, 5_000, 0), 5_000)
    assert.strictEqual(RetryPolicy.delayMs(0, policy, 600_000, 0), 60_000)
  })

  it.effect("retries until success and stops on a non-retryable failure", () =>
    Effect.gen(function* () {
      let calls = 0
      const flaky = yield* RetryPolicy.retrying(
        () => Effect.suspend(() => (++calls < 3 ? Effect.fail("busy") : Effect.succeed("ok"))),
        {
          policy: RetryPolicy.defaultRetryOptions,
          classify: () => ({ retryable: true, ambiguous: false, status: 503, retryAfterMs: undefined })
        }
      ).pipe(Effect.forkChild)
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* Fiber.await(flaky), Exit.succeed("ok"))
      assert.strictEqual(calls, 3)

      let fatal = 0
      const exit = yield* RetryPolicy.retrying(
        () =>
          Effect.suspend(() => {
            fatal++
            return Effect.fail("bad")
          }),
        {
          policy: RetryPolicy.defaultRetryOptions,
          classify: () => ({ retryable: false, ambiguous: false, status: 400, retryAfterMs: undefined })
        }
      ).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(fatal, 1)
    })
  )

  it.effect("lets beforeRetry end the loop with a recovered value", () =>
    Effect.gen(function* () {
      let creates = 0
      const fiber = yield* RetryPolicy.retrying(
        () =>
          Effect.suspend(() => {
            creates++
            return Effect.fail("lost")
          }),
        {
          policy: RetryPolicy.defaultRetryOptions,
          classify: () => ({ retryable: true, ambiguous: true, status: undefined, retryAfterMs: undefined }),
          beforeRetry: () => Effect.succeed("video_found")
        }
      ).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.succeed("video_found"))
      assert.strictEqual(creates, 1)
    })
  )
})
