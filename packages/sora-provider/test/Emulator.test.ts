/**
 * The generator against the real emulator, one fault at a time: each run either succeeds with
 * exactly one create per segment or fails with a typed error naming the job and the cause.
 */
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { SegmentGenerator } from "@longsora/core"
import { Cause, Effect, Fiber } from "effect"
import { vi } from "vitest"
import * as SoraCapabilities from "../src/SoraCapabilities.ts"
import { filesUnder, generate, generatorLayer, isMp4, makeImage, provide, spec, useEmulator } from "./helpers.ts"

// Each test renders a real MP4 with ffmpeg (about 3 s on a shared machine).
vi.setConfig({ testTimeout: 30_000 })

const env = useEmulator()

/** Creates counted by the emulator while `effect` runs. */
const counting = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = env.emu().stats()
    const exit = yield* Effect.exit(effect)
    const after = env.emu().stats()
    return { exit, creates: after.creates - before.creates, jobs: after.jobs.slice(before.jobs.length) }
  })

const reset = Effect.sync(() => env.emu().setFaults({}))

describe("SoraSegmentGenerator against the emulator", () => {
  it.live("generates a clip from a reference image with one create, streaming it to disk", () =>
    Effect.gen(function* () {
      yield* reset
      const reference = makeImage(env.dir(), "ref.png", "1280x720")
      const destination = join(env.dir(), "happy.mp4")
      const { exit, creates } = yield* counting(
        provide(generate(spec({ reference }), destination), generatorLayer(env.emu()))
      )
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag !== "Success") return
      const { job, clip, events } = exit.value
      assert.strictEqual(creates, 1)
      assert.strictEqual(clip.jobId, job.id)
      assert.isTrue(isMp4(destination))
      assert.isTrue(events.some((e) => e._tag === "SegmentProgress" && e.jobId === job.id))
      assert.deepStrictEqual(
        filesUnder(env.dir()).filter((f) => f.endsWith(".part")),
        []
      )
    })
  )

  it.live("waits out a 429 storm, honouring retry-after, with one create", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ rateLimit: { count: 6, retryAfterMs: 120 } }))
      const { exit, creates } = yield* counting(
        provide(generate(spec(), join(env.dir(), "storm.mp4")), generatorLayer(env.emu()))
      )
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(creates, 1)
    })
  )

  it.live("retries a 5xx burst with one create", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ serverErrors: { count: 4, status: 503 } }))
      const { exit, creates } = yield* counting(
        provide(generate(spec(), join(env.dir(), "burst.mp4")), generatorLayer(env.emu()))
      )
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(creates, 1)
    })
  )

  it.live("takes over the job whose create response was lost instead of paying again", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ loseCreateResponse: { count: 1 } }))
      const listsBefore = env.emu().stats().requestsByRoute["GET /v1/videos"] ?? 0
      const { exit, creates, jobs } = yield* counting(
        provide(generate(spec(), join(env.dir(), "lost.mp4")), generatorLayer(env.emu()))
      )
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(creates, 1)
      if (exit._tag === "Success") assert.strictEqual(exit.value.job.id, jobs[0]?.id)
      // The lost response was noticed and the job found by listing, not by a second create.
      assert.isAtLeast((env.emu().stats().requestsByRoute["GET /v1/videos"] ?? 0) - listsBefore, 1)
    })
  )

  it.live("retries a dropped download from the same job", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ dropDownload: { count: 2, afterBytes: 2048 } }))
      const destination = join(env.dir(), "dropped.mp4")
      const { exit, creates } = yield* counting(provide(generate(spec(), destination), generatorLayer(env.emu())))
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(creates, 1)
      assert.isTrue(isMp4(destination))
      assert.isAbove(statSync(destination).size, 2048)
      assert.deepStrictEqual(
        filesUnder(env.dir()).filter((f) => f.endsWith(".part")),
        []
      )
    })
  )

  it.live("gives up on a stuck job with a typed timeout naming the job", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ stuck: { count: 1 } }))
      const { exit, creates, jobs } = yield* counting(
        provide(
          generate(spec(), join(env.dir(), "stuck.mp4")),
          generatorLayer(env.emu(), { polling: { timeoutMs: 2_500 } })
        )
      )
      assert.strictEqual(creates, 1)
      assert.strictEqual(exit._tag, "Failure")
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
      assert.strictEqual(error?._tag, "GenerationError")
      assert.strictEqual(error?.kind, "timeout")
      assert.strictEqual(error?.jobId, jobs[0]?.id)
      assert.include(error?.message ?? "", jobs[0]!.id)
    })
  )

  it.live("reports a moderation failure with the job id and the server's message", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ moderation: { count: 1 } }))
      const { exit, creates, jobs } = yield* counting(
        provide(generate(spec(), join(env.dir(), "moderated.mp4")), generatorLayer(env.emu()))
      )
      assert.strictEqual(creates, 1)
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
      assert.strictEqual(error?._tag, "GenerationError")
      assert.strictEqual(error?.kind, "moderation")
      assert.strictEqual(error?.jobId, jobs[0]?.id)
      assert.include(error?.reason ?? "", "moderation")
      assert.isFalse(existsSync(join(env.dir(), "moderated.mp4")))
    })
  )

  it.live("does not retry a 400 and says what to change", () =>
    Effect.gen(function* () {
      yield* reset
      // Declares a length the server refuses, so the 400 comes from the server, not our checks.
      const models = [
        SoraCapabilities.gatewayModel({ model: "sora-2", clipLengths: [4, 10], sizes: [{ size: "1280x720" }] })
      ]
      const before = env.emu().stats().requestsByRoute
      const { exit, creates } = yield* counting(
        provide(generate(spec({ seconds: 10 }), join(env.dir(), "bad.mp4")), generatorLayer(env.emu(), { models }))
      )
      const after = env.emu().stats().requestsByRoute
      assert.strictEqual(creates, 0)
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
      assert.strictEqual(error?._tag, "GenerationError")
      assert.strictEqual(error?.kind, "rejected")
      assert.include(error?.fix ?? "", "4 or 10 s")
      assert.strictEqual((after["POST /v1/videos"] ?? 0) - (before["POST /v1/videos"] ?? 0), 1)
    })
  )

  it.live("rejects a reference of the wrong size before anything is billed", () =>
    Effect.gen(function* () {
      yield* reset
      const reference = makeImage(env.dir(), "small.jpg", "640x360")
      const { exit, creates } = yield* counting(
        provide(generate(spec({ reference }), join(env.dir(), "ref.mp4")), generatorLayer(env.emu()))
      )
      assert.strictEqual(creates, 0)
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
      assert.strictEqual(error?.kind, "rejected")
      assert.include(error?.fix ?? "", "1280x720")
    })
  )

  it.live("stops polling at once when interrupted", () =>
    Effect.gen(function* () {
      yield* Effect.sync(() => env.emu().setFaults({ stuck: { count: 1 } }))
      const fiber = yield* provide(
        generate(spec(), join(env.dir(), "interrupted.mp4")),
        generatorLayer(env.emu())
      ).pipe(Effect.forkChild)
      yield* Effect.sleep("1500 millis")
      yield* Fiber.interrupt(fiber)
      const settled = env.emu().stats().requests
      yield* Effect.sleep("2500 millis")
      assert.strictEqual(env.emu().stats().requests, settled)
    })
  )

  it.live("completes the same job again after an interrupted complete, without a new create", () =>
    Effect.gen(function* () {
      yield* reset
      const destination = join(env.dir(), "resumed.mp4")
      const { exit, creates } = yield* counting(
        provide(
          Effect.gen(function* () {
            const generator = yield* SegmentGenerator.SegmentGenerator
            const job = yield* generator.submit(spec())
            const first = yield* Effect.forkChild(generator.complete(job, destination))
            yield* Effect.sleep("300 millis")
            yield* Fiber.interrupt(first)
            return yield* generator.complete(job, destination)
          }),
          generatorLayer(env.emu())
        )
      )
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(creates, 1)
      assert.isTrue(isMp4(destination))
    })
  )

  it.live("adopts the job a lost create made, never one another run owns, and never guesses between two", () =>
    Effect.gen(function* () {
      yield* reset
      const sentAt = Date.now()
      const segment = spec()
      const submitOnce = (extra: object) =>
        provide(
          Effect.gen(function* () {
            const generator = yield* SegmentGenerator.SegmentGenerator
            return yield* generator.submit({ ...segment, ...extra })
          }),
          // A fresh layer: a new process that only knows the spec and when it was sent.
          generatorLayer(env.emu())
        )
      const nobodys = { sentAt, isOwned: () => false }
      const { exit, creates } = yield* counting(
        Effect.gen(function* () {
          const earlier = yield* submitOnce({})
          const adopted = yield* submitOnce({ lostCreate: nobodys })
          return { earlier, adopted }
        })
      )
      assert.strictEqual(creates, 1)
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag !== "Success") return
      const earlier = exit.value.earlier.id
      assert.strictEqual(exit.value.adopted.id, earlier)
      // The only match belongs to another run: a new job is created for this one.
      const owned = yield* counting(submitOnce({ lostCreate: { sentAt, isOwned: (id: string) => id === earlier } }))
      assert.strictEqual(owned.creates, 1)
      assert.strictEqual(owned.exit._tag, "Success")
      if (owned.exit._tag === "Success") assert.notStrictEqual(owned.exit.value.id, earlier)
      // Now two jobs match and nobody claims either: no adoption, no create, the candidates named.
      const unsure = yield* counting(submitOnce({ lostCreate: nobodys }))
      assert.strictEqual(unsure.creates, 0)
      assert.strictEqual(unsure.exit._tag, "Failure")
      const error = unsure.exit._tag === "Failure" ? Cause.squash(unsure.exit.cause) : undefined
      assert.match(String((error as Error).message), /2 jobs on the server match it .*--recreate-lost/)
    })
  )

  it.live("a job the server no longer knows fails as gone, naming the job, not as a wrong base URL", () =>
    Effect.gen(function* () {
      yield* reset
      const { exit, creates } = yield* counting(
        provide(
          Effect.gen(function* () {
            const generator = yield* SegmentGenerator.SegmentGenerator
            return yield* generator.complete(
              { segment: 2, id: "video_forgotten0000000000000000", seconds: 4 },
              join(env.dir(), "forgotten.mp4")
            )
          }),
          generatorLayer(env.emu())
        )
      )
      assert.strictEqual(creates, 0)
      assert.strictEqual(exit._tag, "Failure")
      const error = exit._tag === "Failure" ? (Cause.squash(exit.cause) as { kind?: string; message?: string }) : {}
      assert.strictEqual(error.kind, "gone")
      assert.match(String(error.message), /no longer has job video_forgotten0+ \(videos\.retrieve answered 404/)
      assert.notMatch(String(error.message), /base URL/)
    })
  )
})
