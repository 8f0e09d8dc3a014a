import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, FileSystem, Layer, Ref, Result } from "effect"
import { DurationSolver, LongVideo, Progress, Regenerate } from "../src/index.ts"
import { type Call, makeLayer, request, type Script } from "./fixtures/InMemory.ts"

const setup = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "longsora-chain-" })
  const calls = yield* Ref.make<ReadonlyArray<Call>>([])
  const run = (script: Script, overrides: Parameters<typeof request>[0]) =>
    LongVideo.generate(request(overrides)).pipe(
      Effect.provide(makeLayer(calls, script).pipe(Layer.provideMerge(NodeServices.layer)))
    )
  return { dir, calls, run, fs }
}).pipe(Effect.provide(NodeServices.layer))

const submits = (calls: ReadonlyArray<Call>) => calls.flatMap((call) => (call._tag === "submit" ? [call.spec] : []))

/** Runs `effect` until `condition` holds for a recorded call, then interrupts it. */
const interruptWhen = <A, E, R>(
  calls: Ref.Ref<ReadonlyArray<Call>>,
  condition: (call: Call) => boolean,
  effect: Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    while (!(yield* Ref.get(calls)).some(condition)) yield* Effect.sleep("5 millis")
    yield* Fiber.interrupt(fiber)
    expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
  })

describe("chain strategies", () => {
  it.effect("refuses a strategy the model lacks, naming the ones it supports, before anything is paid", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup
      const extend = yield* Effect.flip(run({}, { outputDir: `${dir}/a`, chain: "extend" }))
      expect(extend._tag).toBe("InvalidRequest")
      expect(extend.message).toBe(
        "Invalid chain: extend. Allowed: last-frame for test-video (test-video declares no native extension). " +
          "Use one of those, or a model that extends its clips (e.g. sora-2, sora-2-pro, google:veo-3.1-generate-preview)."
      )
      const keyframes = yield* Effect.flip(run({}, { outputDir: `${dir}/b`, model: "test-extend", chain: "keyframes" }))
      expect(keyframes.message).toContain("Allowed: last-frame or extend for test-extend")
      // Keyframes needs an image model too.
      const noImages = yield* Effect.flip(
        run({}, { outputDir: `${dir}/c`, model: "test-keyframes", chain: "keyframes" })
      )
      expect(noImages.message).toContain("Allowed: last-frame without an image model")
      expect(submits(yield* Ref.get(calls))).toEqual([])
    })
  )

  it("solves an extension split: a first clip, then extension steps within the limits", () => {
    const extension = { _tag: "ClipLengthSet", seconds: [4, 8, 12, 16, 20] } as const
    const first = { _tag: "ClipLengthSet", seconds: [4, 8, 12] } as const
    expect(DurationSolver.solveExtended({ seconds: 40, count: 4, first, extension })).toEqual(
      Result.succeed([8, 12, 12, 8])
    )
    // Five clips reach 12 + 4 × 20 = 92 s at most: the error names that, and the counts that make 100 s.
    const refused = DurationSolver.solveExtended({ seconds: 100, count: 5, first, extension, maxCount: 7 })
    expect(Result.isFailure(refused) && refused.failure.message).toBe(
      "Invalid seconds: 100 s cannot be made of exactly 5 clips of a first clip of 4, 8 or 12 s then extensions of " +
        "4, 8, 12, 16 or 20 s. Try seconds 92 with 5 segments; or numGenerations 6, 7 for 100 s."
    )
  })

  it.effect("extend: segment k+1 extends segment k's job, and the provider's stitched video is the output", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup
      const result = yield* run(
        {},
        { outputDir: `${dir}/out`, model: "test-extend", chain: "extend", seconds: 40, numGenerations: 4 }
      )
      const specs = submits(yield* Ref.get(calls))
      expect(specs.map((s) => [s.segment, s.seconds, s.extend])).toEqual([
        [1, 8, undefined],
        [2, 12, { jobId: "job_1", sourceSeconds: 8 }],
        [3, 12, { jobId: "job_2", sourceSeconds: 20 }],
        [4, 8, { jobId: "job_3", sourceSeconds: 32 }]
      ])
      expect(specs[3]!.prompt).toBe("part 4 of A woman is dancing in a bunch of trees.")
      expect(yield* fs.readFileString(result.output)).toBe("clip 1+clip 2+clip 3+clip 4")
      expect(result.joinMethod).toBe("provider")
      expect((yield* Ref.get(calls)).some((call) => call._tag === "join" || call._tag === "lastFrame")).toBe(false)
      // Billed: each step's new part, not the stitched totals.
      expect(result.secondsBilled).toBe(40)
      expect(result.estimatedCostUsd).toBe(4)
    })
  )

  it.live("extend: a rerun polls the extension in flight and pays for nothing twice", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup
      const out = {
        outputDir: `${dir}/out`,
        model: "test-extend",
        chain: "extend",
        seconds: 24,
        numGenerations: 3
      } as const
      yield* interruptWhen(
        calls,
        (call) => call._tag === "complete" && call.jobId === "job_2",
        run({ hangSegment: 2 }, out)
      )
      yield* Ref.set(calls, [])
      const result = yield* run({}, out)
      const second = yield* Ref.get(calls)
      expect(submits(second).map((s) => [s.segment, s.extend?.jobId])).toEqual([[3, "job_2"]])
      expect(second.flatMap((call) => (call._tag === "complete" ? [call.jobId] : []))).toEqual(["job_2", "job_3"])
      expect(result.jobIds).toEqual(["job_1", "job_2", "job_3"])
    })
  )

  it.effect("keyframes: images first, each an edit of the previous; then every segment between two of them", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup
      const events: Array<Progress.ProgressEvent> = []
      const result = yield* run(
        { usdPerImage: 0.04 },
        { outputDir: `${dir}/out`, model: "test-keyframes", chain: "keyframes", seconds: 24, numGenerations: 3 }
      ).pipe(
        Effect.provideService(
          Progress.ProgressReporter,
          Progress.callbackReporter((event) => events.push(event))
        )
      )
      const all = yield* Ref.get(calls)
      const images = all.flatMap((call) => (call._tag === "image" ? [call.spec] : []))
      const keyframe = (i: number) => `${dir}/out/segments/keyframe_0${i}.png`
      expect(images.map((spec) => [spec.index, spec.source])).toEqual([
        [0, undefined],
        [1, keyframe(0)],
        [2, keyframe(1)],
        [3, keyframe(2)]
      ])
      // Without planner keyframes, each is the end of a segment's prompt.
      expect(images[2]!.prompt).toBe(
        "The final moment of: part 2 of A woman is dancing in a bunch of trees. one dancer, warm light"
      )
      const specs = submits(all)
      expect(specs.map((s) => [s.segment, s.reference, s.lastFrame])).toEqual([
        [1, keyframe(0), keyframe(1)],
        [2, keyframe(1), keyframe(2)],
        [3, keyframe(2), keyframe(3)]
      ])
      // Every segment was sent before any finished (the model's limit is 2 at once).
      const order = all.map((call) => call._tag)
      expect(order.lastIndexOf("image")).toBeLessThan(order.indexOf("submit"))
      expect(yield* fs.readFileString(result.output)).toBe("clip 1|clip 2|clip 3")
      expect(result.keyframesBilled).toBe(4)
      expect(result.estimatedCostUsd).toBe(2.56)
      expect(events.flatMap((e) => (e._tag === "PhaseTimed" ? [e.phase] : []))).toEqual([
        "keyframes",
        "segments",
        "join"
      ])
      expect(events.filter((e) => e._tag === "KeyframeRendered")).toHaveLength(4)
    })
  )

  it.effect("keyframes and independent: the join's and the audio's share of each clip start as it finishes", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup
      for (const [name, overrides] of [
        ["keyframes", { model: "test-keyframes", chain: "keyframes" }],
        ["independent", { mode: "independent", transition: { _tag: "Cut" } }]
      ] as const) {
        yield* Ref.set(calls, [])
        const outputDir = `${dir}/${name}`
        yield* run({ usdPerImage: 0.04, audio: true }, { outputDir, seconds: 24, numGenerations: 3, ...overrides })
        const all = yield* Ref.get(calls)
        const files = [1, 2, 3].map((k) => `${outputDir}/segments/segment_0${k}.mp4`)
        const join = all.findIndex((call) => call._tag === "join")
        // Segments 2 and 3 (the ones a cut join trims) are prepared as they finish: segment 2 before the join began
        // (the last one's preparation races the join, which does itself whatever is not ready).
        const prepared = all.flatMap((call, i) => (call._tag === "prepare" ? [{ segment: call.segment, i }] : []))
        expect(prepared.map((call) => call.segment).toSorted(), name).toEqual(files.slice(1))
        expect(prepared.find((call) => call.segment === files[1])!.i, name).toBeLessThan(join)
        // The audio blend grew over the first clips as they were whole, before the last one was.
        const audio = all.flatMap((call) => (call._tag === "prepareAudio" ? [call.segments] : []))
        for (const segments of audio) expect(segments, name).toEqual(files.slice(0, segments.length))
        expect(
          audio.some((segments) => segments.length < 3),
          name
        ).toBe(true)
        expect(
          all.filter((call) => call._tag === "blendAudio"),
          name
        ).toEqual([{ _tag: "blendAudio", segments: files }])
      }
    })
  )

  it.live("keyframes: a rerun keeps the keyframes and segments made, and makes only what is missing", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup
      const out = {
        outputDir: `${dir}/out`,
        model: "test-keyframes",
        chain: "keyframes",
        seconds: 16,
        numGenerations: 2
      } as const
      yield* interruptWhen(
        calls,
        (call) => call._tag === "complete" && call.jobId === "job_2",
        run({ usdPerImage: 0.04, hangSegment: 2 }, out)
      )
      yield* Ref.set(calls, [])
      const result = yield* run({ usdPerImage: 0.04 }, out)
      const second = yield* Ref.get(calls)
      expect(second.filter((call) => call._tag === "image")).toEqual([])
      expect(submits(second)).toEqual([])
      expect(result.keyframesBilled).toBe(3)
      expect(result.jobIds).toEqual(["job_1", "job_2"])
    })
  )

  it.effect("keyframes: a regenerate with every keyframe made needs no image model; a lost one is refused first", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup
      const outputDir = `${dir}/out`
      const out = { outputDir, model: "test-keyframes", chain: "keyframes", seconds: 16, numGenerations: 2 } as const
      yield* run({ usdPerImage: 0.04 }, out)
      yield* Ref.set(calls, [])
      const withoutImages = Effect.provide(makeLayer(calls, {}).pipe(Layer.provideMerge(NodeServices.layer)))

      const again = yield* Regenerate.regenerate({ outputDir, segment: 2 }).pipe(withoutImages)
      const second = yield* Ref.get(calls)
      expect(second.filter((call) => call._tag === "image")).toEqual([])
      expect(submits(second).map((s) => [s.segment, s.reference, s.lastFrame])).toEqual([
        [2, `${outputDir}/segments/keyframe_01.png`, `${outputDir}/segments/keyframe_02.png`]
      ])
      expect(again.keyframesBilled).toBe(3)

      yield* Ref.set(calls, [])
      yield* fs.remove(`${outputDir}/segments/keyframe_01.png`)
      const lost = yield* Effect.flip(Regenerate.regenerate({ outputDir, segment: 1 }).pipe(withoutImages))
      expect(lost._tag).toBe("InvalidRequest")
      expect(lost.message).toContain("Allowed: last-frame without an image model")
      expect(yield* Ref.get(calls)).toEqual([])
      expect(yield* fs.exists(`${outputDir}/segments/segment_01.mp4`)).toBe(true)
    })
  )
})
