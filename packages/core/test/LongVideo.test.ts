import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, FileSystem, Layer, Ref, Result } from "effect"
import { LongVideo, Plan, Progress, Transition } from "../src/index.ts"
import { type Call, makeLayer, request, type Script } from "./fixtures/InMemory.ts"

const setup = (script: Script = {}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "longsora-core-" })
    const calls = yield* Ref.make<ReadonlyArray<Call>>([])
    const runWith = (runScript: Script, overrides: Parameters<typeof request>[0]) =>
      LongVideo.generate(request(overrides)).pipe(
        Effect.provide(makeLayer(calls, runScript).pipe(Layer.provideMerge(NodeServices.layer)))
      )
    const run = (overrides: Parameters<typeof request>[0]) => runWith(script, overrides)
    return { dir, calls, run, runWith, fs }
  }).pipe(Effect.provide(NodeServices.layer))

const submits = (calls: ReadonlyArray<Call>) => calls.flatMap((call) => (call._tag === "submit" ? [call.spec] : []))

describe("LongVideo.generate", () => {
  it.effect("generates segments in order, each from the previous last frame, and joins them", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      const result = yield* run({ outputDir: `${dir}/out` })
      const specs = submits(yield* Ref.get(calls))
      expect(specs.map((s) => [s.segment, s.seconds])).toEqual([
        [1, 8],
        [2, 8],
        [3, 8]
      ])
      expect(specs[0]!.prompt).toBe("A woman is dancing in a bunch of trees.")
      expect(specs[0]!.reference).toBeUndefined()
      expect(specs[1]!.prompt).toBe("part 2 of A woman is dancing in a bunch of trees.")
      expect(specs[1]!.reference).toBe(`${dir}/out/segments/segment_01_last.jpg`)
      expect(specs[2]!.reference).toBe(`${dir}/out/segments/segment_02_last.jpg`)
      expect(yield* fs.readFileString(`${dir}/out/output.mp4`)).toBe("clip 1|clip 2|clip 3")
      expect((yield* fs.readDirectory(`${dir}/out/segments`)).sort()).toEqual([
        "segment_01.mp4",
        "segment_01_last.jpg",
        "segment_02.mp4",
        "segment_02_last.jpg",
        "segment_03.mp4",
        "segment_03_last.jpg"
      ])
      // The working directory is gone: the seed's layout remains, with the run manifest beside it.
      expect((yield* fs.readDirectory(`${dir}/out`)).sort()).toEqual([
        ".longsora",
        "output.mp4",
        "plan.json",
        "segments"
      ])
      expect(yield* fs.readDirectory(`${dir}/out/.longsora`)).toEqual(["manifest.json"])
      expect(result.jobIds).toEqual(["job_1", "job_2", "job_3"])
      // The join's share of a middle segment starts while the next one renders.
      const order = (yield* Ref.get(calls)).map((call) =>
        call._tag === "prepare"
          ? `prepare ${call.segment.split("/").pop()}`
          : call._tag === "submit"
            ? `submit ${call.spec.segment}`
            : call._tag === "lastFrame"
              ? `lastFrame ${call.video.split("/").pop()}`
              : call._tag
      )
      expect(order.indexOf("prepare segment_02.mp4")).toBeGreaterThan(order.indexOf("submit 2"))
      expect(order.indexOf("prepare segment_02.mp4")).toBeLessThan(order.indexOf("join"))
      expect(order.filter((entry) => entry.startsWith("prepare"))).toEqual(["prepare segment_02.mp4"])
      // The last clip's frame is only saved, so it is extracted while the join runs, not before it.
      expect(order.indexOf("lastFrame segment_03.mp4")).toBeGreaterThan(order.indexOf("join"))
      expect(result.segments[2]!.lastFrame).toBe(`${dir}/out/segments/segment_03_last.jpg`)
      expect(result.secondsBilled).toBe(24)
      expect(result.estimatedCostUsd).toBe(2.4)
      expect(result.plan.segments[0]!.prompt).toBe("A woman is dancing in a bunch of trees.")
      expect(result.output).toBe(`${dir}/out/output.mp4`)
    })
  )

  it.live(
    "a range-first provider: the next create starts from the preview's last frame, the join waits for every clip",
    () =>
      Effect.gen(function* () {
        const { dir, calls, runWith, fs } = yield* setup()
        yield* runWith({ earlyRestMs: 150 }, { outputDir: `${dir}/out` })
        const all = yield* Ref.get(calls)
        const at = (predicate: (call: Call) => boolean) => all.findIndex(predicate)
        const segments = `${dir}/out/segments`
        // The seam: the last frame came from the preview, and segment 2 was created before clip 1 had arrived.
        expect(all.filter((c) => c._tag === "lastFrame").map((c) => c._tag === "lastFrame" && c.video)).toEqual([
          `${segments}/segment_01.mp4.preview`,
          `${segments}/segment_02.mp4.preview`,
          // The last segment's frame is only saved, from the whole clip while joining.
          `${segments}/segment_03.mp4`
        ])
        const downloaded = (job: string) => at((c) => c._tag === "downloaded" && c.jobId === job)
        expect(at((c) => c._tag === "submit" && c.spec.segment === 2)).toBeLessThan(downloaded("job_1"))
        // What reads the whole clip waits for it: the join's preparation and the join itself.
        expect(at((c) => c._tag === "prepare")).toBeGreaterThan(downloaded("job_2"))
        const join = at((c) => c._tag === "join")
        for (const job of ["job_1", "job_2", "job_3"]) expect(join).toBeGreaterThan(downloaded(job))
        expect(yield* fs.readFileString(`${dir}/out/output.mp4`)).toBe("clip 1|clip 2|clip 3")
        // Recorded whole, the frame extracted early kept.
        const manifest = JSON.parse(yield* fs.readFileString(`${dir}/out/.longsora/manifest.json`))
        for (const record of manifest.segments.filter((r: { segment: number }) => r.segment < 3)) {
          expect(record.state).toBe("completed")
          expect(record.lastFrame).toBe(`${segments}/segment_0${record.segment}_last.jpg`)
          expect(record.bytes).toBe(`clip ${record.segment}`.length)
        }
      })
  )

  it.effect("passes the user's reference, fitted to the size, to segment 1 only", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      yield* fs.writeFileString(`${dir}/ref.png`, "PNG image")
      yield* run({ outputDir: `${dir}/out`, inputReference: `${dir}/ref.png`, size: "720x1280" })
      const all = yield* Ref.get(calls)
      const fit = all.find((call) => call._tag === "fitImage")
      assert(fit?._tag === "fitImage")
      expect(fit.image).toBe(`${dir}/ref.png`)
      const specs = submits(all)
      expect(specs[0]!.reference).toMatch(/\/out\/\.longsora\/work-.*\/reference\.png$/)
      expect(specs[0]!.size).toBe("720x1280")
      expect(specs[1]!.reference).toBe(`${dir}/out/segments/segment_01_last.jpg`)
    })
  )

  it.effect("keeps only output.mp4 when segments are not saved", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      const result = yield* run({ outputDir: `${dir}/out`, saveSegments: false })
      expect((yield* fs.readDirectory(`${dir}/out`)).sort()).toEqual([".longsora", "output.mp4", "plan.json"])
      expect(yield* fs.readDirectory(`${dir}/out/.longsora`)).toEqual(["manifest.json"])
      expect(result.segments.map((s) => s.lastFrame)).toEqual([
        expect.stringContaining("segment_01_last.jpg"),
        expect.stringContaining("segment_02_last.jpg"),
        undefined
      ])
      // The last segment's frame is not needed by anything.
      expect((yield* Ref.get(calls)).filter((call) => call._tag === "lastFrame")).toHaveLength(2)
    })
  )

  it.effect("sends segment 1 while planning, and segment 2 only after the plan", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup()
      yield* run({ outputDir: `${dir}/out` })
      const order = (yield* Ref.get(calls)).map((call) =>
        call._tag === "submit" ? `submit ${call.spec.segment}` : call._tag
      )
      expect(order.indexOf("plan")).toBeLessThan(order.indexOf("submit 2"))
      expect(order.indexOf("submit 1")).toBeLessThan(order.indexOf("complete"))
    })
  )

  it.effect("uses a given plan as it is, without asking the planner", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup()
      const plan = new Plan.Plan({
        brief: "mine",
        segments: [
          new Plan.PlannedSegment({ prompt: "first", seconds: 12 }),
          new Plan.PlannedSegment({ prompt: "second", seconds: 4 })
        ]
      })
      const result = yield* run({
        outputDir: `${dir}/out`,
        plan,
        seconds: undefined as never,
        numGenerations: undefined as never
      })
      const all = yield* Ref.get(calls)
      expect(all.some((call) => call._tag === "plan")).toBe(false)
      expect(submits(all).map((s) => [s.prompt, s.seconds])).toEqual([
        ["first", 12],
        ["second", 4]
      ])
      expect(result.durations).toEqual([12, 4])
    })
  )

  it.effect("honours a custom split", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup()
      yield* run({ outputDir: `${dir}/out`, durations: [12, 8, 4], transition: Transition.crossfade(0.5) })
      expect(submits(yield* Ref.get(calls)).map((s) => s.seconds)).toEqual([12, 8, 4])
    })
  )

  const rejected = (
    overrides: Omit<Parameters<typeof request>[0], "outputDir">,
    field: string,
    text: string,
    script: Script = {}
  ) =>
    it.effect(`rejects ${field}: ${text} before any generator call`, () =>
      Effect.gen(function* () {
        const { dir, calls, run } = yield* setup(script)
        const exit = yield* Effect.exit(run({ outputDir: `${dir}/out`, ...overrides }))
        assert(Exit.isFailure(exit))
        const error = exit.cause.reasons[0]
        assert(error?._tag === "Fail")
        expect(error.error.message).toContain(text)
        if ("field" in error.error) expect(error.error.field).toBe(field)
        expect(submits(yield* Ref.get(calls))).toEqual([])
      })
    )

  rejected({ seconds: 15, numGenerations: 2 }, "seconds", "15 s cannot be made of exactly 2 clips")
  rejected({ numGenerations: 0 }, "numGenerations", "Invalid numGenerations: 0")
  rejected({ seconds: 24, numGenerations: 10 }, "seconds", "numGenerations 2, 3, 4, 5, 6 for 24 s")
  rejected({ durations: [12, 8] }, "durations", "a split that sums to seconds = 24")
  rejected({ durations: [12, 6, 6] }, "durations", "Invalid durations: 6 s")
  rejected({ model: "sora-9" }, "model", 'Invalid model: "sora-9"')
  rejected({ size: "1920x1080" }, "size", "Allowed: 1280x720 or 720x1280")
  rejected({ prompt: "  " }, "prompt", "Invalid prompt")
  rejected({ prompt: "x".repeat(501) }, "prompt", "at most 500 characters")
  rejected({ inputReference: "/nonexistent/ref.png" }, "inputReference", "No file at /nonexistent/ref.png")
  rejected({ seconds: -4 }, "seconds", "Invalid seconds: -4")
  rejected({ transition: Transition.crossfade(8) }, "transition", "shorter than the shortest segment")
  rejected({}, "ffmpeg", "ffmpeg is not usable", { missingFfmpeg: true })

  it.effect("rejects a reference that is not an image, and an output path that is a file", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      yield* fs.writeFileString(`${dir}/notes.txt`, "hello")
      const notImage = yield* Effect.flip(run({ outputDir: `${dir}/out`, inputReference: `${dir}/notes.txt` }))
      expect(notImage.message).toContain("Invalid inputReference")
      expect(notImage.message).toContain("not an image")
      const notDir = yield* Effect.flip(run({ outputDir: `${dir}/notes.txt` }))
      expect(notDir.message).toContain("exists and is not a directory")
      expect(submits(yield* Ref.get(calls))).toEqual([])
    })
  )

  it.effect("propagates a typed generation error with the job id", () =>
    Effect.gen(function* () {
      const { dir, run } = yield* setup({ failSegment: 2 })
      const error = yield* Effect.flip(run({ outputDir: `${dir}/out` }))
      assert(error._tag === "GenerationError")
      expect(error.segment).toBe(2)
      expect(error.jobId).toBe("job_2")
    })
  )

  it.effect("rejects a plan that does not fit the split", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup({ planSegments: () => [{ prompt: "only one", seconds: 8 }] })
      const error = yield* Effect.flip(run({ outputDir: `${dir}/out` }))
      assert(error._tag === "PlannerError")
      expect(error.message).toContain("the plan has 1 segments, expected 3")
      // Planning failed fast, so nothing after segment 1 was billed.
      expect(submits(yield* Ref.get(calls)).map((s) => s.segment)).not.toContain(2)
    })
  )

  it.live("stops promptly when interrupted and leaves no temporary files", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup({ hangSegment: 2 })
      const fiber = yield* Effect.forkChild(run({ outputDir: `${dir}/out`, saveSegments: false }))
      yield* Effect.gen(function* () {
        while (!(yield* Ref.get(calls)).some((call) => call._tag === "complete" && call.jobId === "job_2")) {
          yield* Effect.sleep("5 millis")
        }
      })
      yield* Fiber.interrupt(fiber).pipe(Effect.timeout("1 second"))
      const exit = yield* Fiber.await(fiber)
      expect(Exit.hasInterrupts(exit)).toBe(true)
      // No working files; only what a resumed run needs: the manifest and the finished segment 1.
      expect((yield* fs.readDirectory(`${dir}/out`)).sort()).toEqual([".longsora", "plan.json"])
      expect((yield* fs.readDirectory(`${dir}/out/.longsora`)).sort()).toEqual(["manifest.json", "segments"])
      expect((yield* fs.readDirectory(`${dir}/out/.longsora/segments`)).sort()).toEqual([
        "segment_01.mp4",
        "segment_01_last.jpg"
      ])
    })
  )

  const interruptWhen = <A, E, R>(
    calls: Ref.Ref<ReadonlyArray<Call>>,
    condition: (call: Call) => boolean,
    effect: Effect.Effect<A, E, R>
  ) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(effect)
      while (!(yield* Ref.get(calls)).some(condition)) yield* Effect.sleep("5 millis")
      yield* Fiber.interrupt(fiber)
    })

  it.live("resumes an interrupted run: finished segments reused, the in-flight job polled, nothing created twice", () =>
    Effect.gen(function* () {
      const { dir, calls, runWith } = yield* setup()
      const out = { outputDir: `${dir}/out` }
      yield* interruptWhen(
        calls,
        (call) => call._tag === "complete" && call.jobId === "job_2",
        runWith({ hangSegment: 2 }, out)
      )
      yield* Ref.set(calls, [])
      const events: Array<Progress.ProgressEvent> = []
      const result = yield* runWith({}, out).pipe(
        Effect.provideService(
          Progress.ProgressReporter,
          Progress.callbackReporter((event) => events.push(event))
        )
      )
      const second = yield* Ref.get(calls)
      expect(submits(second).map((s) => s.segment)).toEqual([3])
      expect(second.some((call) => call._tag === "plan")).toBe(false)
      expect(second.flatMap((call) => (call._tag === "complete" ? [call.jobId] : []))).toEqual(["job_2", "job_3"])
      expect(events.flatMap((e) => (e._tag === "SegmentReused" ? [`${e.segment}:${e.state}`] : []))).toEqual([
        "1:completed",
        "2:submitted"
      ])
      expect(result.jobIds).toEqual(["job_1", "job_2", "job_3"])
    })
  )

  it.live(
    "range-first: a run stopped after a clip's last frame, before its download finished, resumes without a create",
    () =>
      Effect.gen(function* () {
        const { dir, calls, runWith, fs } = yield* setup()
        const out = { outputDir: `${dir}/out` }
        // Segment 2 was created from clip 1's preview; clip 1 itself never arrived.
        yield* interruptWhen(
          calls,
          (call) => call._tag === "submit" && call.spec.segment === 3,
          runWith({ earlyRestMs: 20, hangRest: 1 }, out)
        )
        expect(yield* fs.exists(`${dir}/out/segments/segment_01.mp4`)).toBe(false)
        yield* Ref.set(calls, [])
        const result = yield* runWith({ earlyRestMs: 20 }, out)
        const second = yield* Ref.get(calls)
        // Nothing created again: job 1 is downloaded again and its saved last frame reused.
        expect(submits(second)).toEqual([])
        expect(second.flatMap((call) => (call._tag === "complete" ? [call.jobId] : []))).toContain("job_1")
        expect(second.some((call) => call._tag === "lastFrame" && call.video.includes("segment_01"))).toBe(false)
        expect(result.jobIds).toEqual(["job_1", "job_2", "job_3"])
        expect(yield* fs.readFileString(`${dir}/out/output.mp4`)).toBe("clip 1|clip 2|clip 3")
      })
  )

  it.live("asks the provider to adopt a create whose answer was lost", () =>
    Effect.gen(function* () {
      const { dir, calls, runWith } = yield* setup()
      const out = { outputDir: `${dir}/out` }
      yield* interruptWhen(
        calls,
        (call) => call._tag === "submit" && call.spec.segment === 2,
        runWith({ hangSubmit: 2 }, out)
      )
      const firstAttempt = submits(yield* Ref.get(calls)).find((s) => s.segment === 2)!
      expect(firstAttempt.lostCreate).toBeUndefined()
      yield* Ref.set(calls, [])
      yield* runWith({}, out)
      const retry = submits(yield* Ref.get(calls)).find((s) => s.segment === 2)!
      expect(retry.lostCreate?.sentAt).toEqual(expect.any(Number))
      expect(retry.lostCreate!.sentAt).toBeLessThanOrEqual(Date.now())
      // Segment 1's job is this run's own: never a candidate for segment 2's lost create.
      expect(retry.lostCreate!.isOwned("job_1")).toBe(true)
      expect(retry.lostCreate!.isOwned("someone-elses-job")).toBe(false)
    })
  )

  it.effect("refuses to resume a different request in the same directory, unless asked to start over", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      yield* run({ outputDir: `${dir}/out` })
      const conflict = yield* Effect.flip(run({ outputDir: `${dir}/out`, seconds: 16, numGenerations: 2 }))
      assert(conflict._tag === "RunConflict")
      expect(conflict.changed).toEqual(["durations"])
      expect(conflict.message).toContain("Start over with restart")
      yield* Ref.set(calls, [])
      const restarted = yield* run({ outputDir: `${dir}/out`, seconds: 16, numGenerations: 2, restart: true })
      expect(restarted.durations).toEqual([8, 8])
      expect((yield* fs.readDirectory(`${dir}/out/segments`)).sort()).toEqual([
        "segment_01.mp4",
        "segment_01_last.jpg",
        "segment_02.mp4",
        "segment_02_last.jpg"
      ])
      expect(submits(yield* Ref.get(calls)).map((s) => s.segment)).toEqual([1, 2])
    })
  )

  it.effect("running a finished request again reuses every segment and bills nothing", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup()
      yield* run({ outputDir: `${dir}/out` })
      yield* Ref.set(calls, [])
      const again = yield* run({ outputDir: `${dir}/out` })
      expect(submits(yield* Ref.get(calls))).toEqual([])
      expect(again.jobIds).toEqual(["job_1", "job_2", "job_3"])
    })
  )

  it.effect("reports progress events in order", () =>
    Effect.gen(function* () {
      const { dir, run } = yield* setup()
      const events: Array<Progress.ProgressEvent> = []
      yield* run({ outputDir: `${dir}/out`, numGenerations: 2, seconds: 16 }).pipe(
        Effect.provideService(
          Progress.ProgressReporter,
          Progress.callbackReporter((event) => events.push(event))
        )
      )
      const tags = events.map((event) => ("segment" in event ? `${event._tag}:${event.segment}` : event._tag))
      expect(tags[0]).toBe("Started")
      expect(tags).toContain("Planned")
      expect(tags.filter((tag) => tag !== "PhaseTimed").slice(-4)).toEqual([
        "SegmentQueued:2",
        "SegmentCompleted:2",
        "FrameExtracted:2",
        "Joined"
      ])
      // Wall times for benchmarks: making the segments, then the join.
      expect(events.flatMap((event) => (event._tag === "PhaseTimed" ? [event.phase] : []))).toEqual([
        "segments",
        "join"
      ])
    })
  )

  it.effect("previews the split, the cost and the plan without creating anything", () =>
    Effect.gen(function* () {
      const { dir, calls, fs } = yield* setup()
      const layer = makeLayer(calls).pipe(Layer.provideMerge(NodeServices.layer))
      const preview = yield* LongVideo.preview(
        request({ outputDir: `${dir}/new/out`, seconds: 20, numGenerations: 2 })
      ).pipe(Effect.provide(layer))
      expect(preview.durations).toEqual([12, 8])
      expect(preview.estimatedCostUsd).toBe(2)
      assert(Result.isSuccess(preview.plan))
      expect(preview.plan.success.segments.map((s) => s.seconds)).toEqual([12, 8])
      expect(submits(yield* Ref.get(calls))).toEqual([])
      expect(yield* fs.exists(`${dir}/new`)).toBe(false)
    })
  )

  it.live("independent mode: every segment from its own prompt, at most the provider's jobs at once, crossfaded", () =>
    Effect.gen(function* () {
      const inFlight = { delayMs: 30, current: 0, max: 0 }
      const { dir, calls, run, fs } = yield* setup({ inFlight })
      yield* fs.writeFileString(`${dir}/ref.png`, "PNG image")
      const result = yield* run({
        outputDir: `${dir}/out`,
        mode: "independent",
        seconds: 40,
        numGenerations: 5,
        inputReference: `${dir}/ref.png`
      })
      const all = yield* Ref.get(calls)
      const specs = submits(all)
      expect(specs.map((s) => s.segment).sort()).toEqual([1, 2, 3, 4, 5])
      expect(specs.find((s) => s.segment === 1)!.reference).toMatch(/reference\.png$/)
      expect(specs.filter((s) => s.segment > 1).every((s) => s.reference === undefined)).toBe(true)
      expect(specs.find((s) => s.segment === 3)!.prompt).toBe("part 3 of A woman is dancing in a bunch of trees.")
      // The test capabilities allow 2 jobs at once.
      expect(inFlight.max).toBe(2)
      expect(result.jobIds).toEqual(["job_1", "job_2", "job_3", "job_4", "job_5"])
      const manifest = yield* fs.readFileString(`${dir}/out/.longsora/manifest.json`)
      expect(JSON.parse(manifest).request.transition).toBe("crossfade:0.5")
    })
  )

  it.live("independent mode honours maxConcurrency", () =>
    Effect.gen(function* () {
      const inFlight = { delayMs: 30, current: 0, max: 0 }
      const { dir, run } = yield* setup({ inFlight })
      yield* run({ outputDir: `${dir}/out`, mode: "independent", seconds: 40, numGenerations: 5, maxConcurrency: 5 })
      expect(inFlight.max).toBe(5)
    })
  )

  it.live("chained mode never runs two segments at once", () =>
    Effect.gen(function* () {
      const inFlight = { delayMs: 10, current: 0, max: 0 }
      const { dir, run } = yield* setup({ inFlight })
      yield* run({ outputDir: `${dir}/out`, seconds: 40, numGenerations: 5 })
      expect(inFlight.max).toBe(1)
    })
  )

  it.effect("recognises the same reference image by its bytes, wherever it is, and a changed one as a change", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup()
      yield* fs.writeFileString(`${dir}/a.png`, "PNG image one")
      yield* fs.writeFileString(`${dir}/b.png`, "PNG image one")
      yield* fs.writeFileString(`${dir}/c.png`, "PNG image two")
      yield* run({ outputDir: `${dir}/out`, inputReference: `${dir}/a.png` })
      yield* Ref.set(calls, [])
      yield* run({ outputDir: `${dir}/out`, inputReference: `${dir}/b.png` })
      expect(submits(yield* Ref.get(calls))).toEqual([])
      const conflict = yield* Effect.flip(run({ outputDir: `${dir}/out`, inputReference: `${dir}/c.png` }))
      assert(conflict._tag === "RunConflict")
      expect(conflict.changed).toEqual(["inputReference"])
    })
  )
})
