/**
 * The rules that make every segment paid once: failed and forgotten jobs are the only reasons to
 * create a segment again, each recorded and reported; one run per directory; the manifest and the
 * plan file are input that cannot reach outside the output directory.
 */
import { hostname } from "node:os"
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, FileSystem, Layer, Ref } from "effect"
import { LongVideo, Plan, PlanFile, Progress } from "../src/index.ts"
import { type Call, makeLayer, request, type Script } from "./fixtures/InMemory.ts"

const setup = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "longsora-resume-" })
  const out = `${dir}/out`
  const calls = yield* Ref.make<ReadonlyArray<Call>>([])
  const events: Array<Progress.ProgressEvent> = []
  const run = (script: Script, overrides: Partial<Parameters<typeof request>[0]> = {}) =>
    LongVideo.generate(request({ outputDir: out, ...overrides })).pipe(
      Effect.provide(makeLayer(calls, script).pipe(Layer.provideMerge(NodeServices.layer))),
      Effect.provideService(
        Progress.ProgressReporter,
        Progress.callbackReporter((event) => events.push(event))
      )
    )
  const submitted = Effect.map(Ref.get(calls), (all) =>
    all.flatMap((call) => (call._tag === "submit" ? [call.spec.segment] : []))
  )
  return { fs, dir, out, calls, events, run, submitted }
}).pipe(Effect.provide(NodeServices.layer))

const recreated = (events: ReadonlyArray<Progress.ProgressEvent>) =>
  events.flatMap((e) => (e._tag === "SegmentRecreated" ? [`${e.segment}:${e.previousJobId}:${e.reason}`] : []))

describe("resume and billing", () => {
  it.effect("a rerun after a failed job creates only that segment again, recorded and reported", () =>
    Effect.gen(function* () {
      const { run, submitted, events } = yield* setup
      const failed = yield* Effect.flip(run({ failJobs: ["job_2"] }))
      expect(failed._tag).toBe("GenerationError")
      expect(yield* submitted).toEqual([1, 2])
      // The same command again: segment 1 is kept, segment 2 gets one new create.
      const result = yield* run({})
      expect(yield* submitted).toEqual([1, 2, 2, 3])
      expect(result.jobIds).toEqual(["job_1", "job_2-2", "job_3"])
      expect(result.replacedJobs.map((job) => [job.segment, job.jobId, job.reason])).toEqual([[2, "job_2", "failed"]])
      expect(result.secondsBilled).toBe(32)
      expect(recreated(events)).toEqual(["2:job_2:failed"])
      // A third run pays for nothing.
      yield* run({})
      expect(yield* submitted).toEqual([1, 2, 2, 3])
    })
  )

  it.effect("retryFailed creates a failed segment again within the run, as many times as allowed", () =>
    Effect.gen(function* () {
      const { run, submitted, events } = yield* setup
      const result = yield* run({ failJobs: ["job_2", "job_2-2"] }, { retryFailed: 2 })
      expect(yield* submitted).toEqual([1, 2, 2, 2, 3])
      expect(result.jobIds[1]).toBe("job_2-3")
      expect(recreated(events)).toEqual(["2:job_2:failed", "2:job_2-2:failed"])
      const { run: again, submitted: againSubmitted } = yield* setup
      const error = yield* Effect.flip(again({ failJobs: ["job_2", "job_2-2"] }, { retryFailed: 1 }))
      expect(error._tag).toBe("GenerationError")
      expect(yield* againSubmitted).toEqual([1, 2, 2])
    })
  )

  it.effect("a job the server no longer knows is created again once, and the cost is reported", () =>
    Effect.gen(function* () {
      const { run, submitted, events } = yield* setup
      const result = yield* run({ failJobs: ["job_2"], failKind: "gone" })
      expect(yield* submitted).toEqual([1, 2, 2, 3])
      expect(result.replacedJobs.map((job) => job.reason)).toEqual(["gone"])
      const event = events.find((e) => e._tag === "SegmentRecreated")
      expect(event).toMatchObject({ reason: "gone", seconds: 8, estimatedCostUsd: 0.8 })
      // A server that forgets the new job too is not paid again and again.
      const { run: forgetful, submitted: forgetfulSubmitted } = yield* setup
      const error = yield* Effect.flip(forgetful({ failJobs: ["job_2", "job_2-2"], failKind: "gone" }))
      expect(error).toMatchObject({ _tag: "GenerationError", kind: "gone" })
      expect(yield* forgetfulSubmitted).toEqual([1, 2, 2])
    })
  )

  it.effect("a refused planner prompt says so, and an edit of the run's plan.json is used by the rerun", () =>
    Effect.gen(function* () {
      const { run, submitted, calls, fs, out } = yield* setup
      const error = yield* Effect.flip(run({ failJobs: ["job_2"], failKind: "moderation" }))
      expect(error.message).toContain('written by the planner: "part 2 of A woman')
      expect(error.message).toContain(`${out}/plan.json`)
      const plan = yield* PlanFile.read(`${out}/plan.json`)
      const edited = new Plan.Plan({
        brief: plan.brief,
        segments: plan.segments.map((segment, i) =>
          i === 1
            ? new Plan.PlannedSegment({ prompt: "She spins under the leaves.", seconds: segment.seconds })
            : segment
        ) as never
      })
      yield* PlanFile.write(`${out}/plan.json`, edited)
      const result = yield* run({})
      expect(yield* submitted).toEqual([1, 2, 2, 3])
      const specs = (yield* Ref.get(calls)).flatMap((call) => (call._tag === "submit" ? [call.spec] : []))
      expect(specs[2]!.prompt).toBe("She spins under the leaves.")
      expect(result.plan.segments[1]!.prompt).toBe("She spins under the leaves.")
      // A finished segment's prompt cannot change any more.
      const finished = new Plan.Plan({
        brief: plan.brief,
        segments: edited.segments.map((segment, i) =>
          i === 2 ? new Plan.PlannedSegment({ prompt: "Something else.", seconds: segment.seconds }) : segment
        ) as never
      })
      yield* PlanFile.write(`${out}/plan.json`, finished)
      const refused = yield* Effect.flip(run({}))
      expect(refused._tag).toBe("PlanFileError")
      expect(refused.message).toContain("segment 3 is already made")
      expect(yield* fs.exists(`${out}/output.mp4`)).toBe(true)
    }).pipe(Effect.provide(NodeServices.layer))
  )

  it.live("one run per output directory: a second is refused naming the first; a dead run's lock is taken over", () =>
    Effect.gen(function* () {
      const { run, calls, fs, out } = yield* setup
      const first = yield* Effect.forkChild(run({ hangSegment: 2 }))
      while (!(yield* Ref.get(calls)).some((call) => call._tag === "complete" && call.jobId === "job_2")) {
        yield* Effect.sleep("5 millis")
      }
      const second = yield* Effect.flip(run({}))
      expect(second).toMatchObject({ _tag: "RunLocked", pid: process.pid, host: hostname() })
      expect(second.message).toContain(`pid ${process.pid}`)
      yield* Fiber.interrupt(first)
      expect(yield* fs.exists(`${out}/.longsora/lock`)).toBe(false)
      // A lock left by a process that no longer exists (SIGKILL) does not block the next run.
      const dead = { pid: 2 ** 22 + 17, host: hostname(), startedAt: Date.now() - 60_000 }
      yield* fs.writeFileString(`${out}/.longsora/lock`, JSON.stringify(dead))
      const result = yield* run({})
      expect(result.jobIds).toEqual(["job_1", "job_2", "job_3"])
      // A lock held on another host is never taken over.
      yield* fs.writeFileString(`${out}/.longsora/lock`, JSON.stringify({ ...dead, host: "elsewhere" }))
      const remote = yield* Effect.flip(run({}))
      expect(remote).toMatchObject({ _tag: "RunLocked", host: "elsewhere" })
    })
  )

  it.effect("restart never deletes a file outside the output directory that a crafted manifest names", () =>
    Effect.gen(function* () {
      const { run, fs, dir, out } = yield* setup
      yield* run({})
      const victim = `${dir}/victim.txt`
      yield* fs.writeFileString(victim, "not LongSora's")
      const manifestPath = `${out}/.longsora/manifest.json`
      const manifest = JSON.parse(yield* fs.readFileString(manifestPath))
      manifest.segments[0].file = victim
      manifest.segments[1].lastFrame = "../victim.txt"
      manifest.output = victim
      yield* fs.writeFileString(manifestPath, JSON.stringify(manifest))
      // (The crafted manifest no longer claims output.mp4, so replacing it takes `force`.)
      yield* run({}, { restart: true, force: true })
      expect(yield* fs.readFileString(victim)).toBe("not LongSora's")
      // Without restart, a record that points outside is not reused either: the clip is fetched again.
      manifest.segments[0].file = victim
      yield* fs.writeFileString(manifestPath, JSON.stringify(manifest))
      const result = yield* run({}, { force: true })
      expect(result.segments[0]!.path).toBe(`${out}/segments/segment_01.mp4`)
      expect(yield* fs.readFileString(victim)).toBe("not LongSora's")
    })
  )

  it.effect("a run removes what killed runs left in its directory", () =>
    Effect.gen(function* () {
      const { run, fs, out } = yield* setup
      yield* fs.makeDirectory(`${out}/.longsora/work-abc123`, { recursive: true })
      yield* fs.makeDirectory(`${out}/segments`, { recursive: true })
      yield* fs.makeDirectory(`${out}/.longsora-join-x1y2`, { recursive: true })
      yield* fs.writeFileString(`${out}/.longsora/work-abc123/reference.png`, "x")
      yield* fs.writeFileString(`${out}/segments/.segment_01.mp4.1a2b3c4d.part`, "partial")
      yield* fs.writeFileString(`${out}/.longsora/manifest.json.tmp`, "{")
      yield* run({})
      expect((yield* fs.readDirectory(out)).sort()).toEqual([".longsora", "output.mp4", "plan.json", "segments"])
      expect(yield* fs.readDirectory(`${out}/.longsora`)).toEqual(["manifest.json"])
      expect((yield* fs.readDirectory(`${out}/segments`)).every((name) => !name.startsWith("."))).toBe(true)
    })
  )

  it.effect("a failed run releases its lock", () =>
    Effect.gen(function* () {
      const { run, fs, out } = yield* setup
      const exit = yield* Effect.exit(run({ failSegment: 1 }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(yield* fs.exists(`${out}/.longsora/lock`)).toBe(false)
    })
  )

  it.effect("a changed request simply replaces an earlier run that never sent a create", () =>
    Effect.gen(function* () {
      const { run, fs, out } = yield* setup
      yield* run({})
      const manifestPath = `${out}/.longsora/manifest.json`
      const manifest = JSON.parse(yield* fs.readFileString(manifestPath))
      // As if the earlier run had stopped after planning, before its first create.
      yield* fs.writeFileString(manifestPath, JSON.stringify({ ...manifest, segments: [] }))
      const result = yield* run({}, { seconds: 12 })
      expect(result.durations).toEqual([4, 4, 4])
      // One that did send a create is protected: a different request is refused.
      const conflict = yield* Effect.flip(run({}, { seconds: 24 }))
      expect(conflict._tag).toBe("RunConflict")
    })
  )
})
