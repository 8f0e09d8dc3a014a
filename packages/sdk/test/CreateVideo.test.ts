/**
 * `createVideo` against an in-process emulator with real ffmpeg: the seed's sync and async
 * examples, the drop-in promise (everything `openai` does still works), progress, references,
 * `saveSegments: false`, typed errors before any paid call, and cancellation.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Errors, type LongVideoResult, type Progress } from "@longsora/core"
import { Emulator } from "@longsora/emulator"
import LongSoraOpenAI, { AsyncOpenAI, OpenAI } from "@longsora/sdk"
import BaseOpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Media from "./Media.ts"

const prompt = "A woman is dancing in a bunch of trees."

/** Every file under `dir`, relative, sorted (hidden ones included). */
const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort()

/** Starts an emulator and a temp dir for one test, and always cleans both up. */
const withEmulator = async <A>(
  name: string,
  f: (emu: Emulator.RunningEmulator, dir: string) => Promise<A>
): Promise<A> => {
  const emu = await Emulator.start()
  const dir = Media.tempDir(name)
  try {
    return await f(emu, dir.path)
  } finally {
    await emu.close()
    dir.remove()
  }
}

/** What the seed's examples check: output, segment files, job ids, billing and cost. */
const expectSeedResult = async (result: LongVideoResult.LongVideoResult, outputDir: string) => {
  expect(result.output).toBe(join(outputDir, "output.mp4"))
  const media = await Media.probe(result.output)
  expect(media.formatName).toContain("mp4")
  expect(media.videoCodec).toBe("h264")
  expect(`${media.width}x${media.height}`).toBe("1280x720")
  expect(media.duration).toBeGreaterThan(7.5)
  expect(media.duration).toBeLessThan(8.5)
  for (const file of ["segment_01.mp4", "segment_01_last.jpg", "segment_02.mp4", "segment_02_last.jpg"]) {
    expect(existsSync(join(outputDir, "segments", file)), file).toBe(true)
  }
  expect(existsSync(join(outputDir, ".longsora", "manifest.json"))).toBe(true)
  expect(result.durations).toEqual([4, 4])
  expect(result.size).toBe("1280x720")
  expect(result.jobIds).toHaveLength(2)
  for (const id of result.jobIds) expect(id).toMatch(/^video_[0-9a-f]{48}$/)
  expect(result.segments.map((segment) => segment.jobId)).toEqual(result.jobIds)
  expect(result.segments.map((segment) => segment.path)).toEqual([
    join(outputDir, "segments", "segment_01.mp4"),
    join(outputDir, "segments", "segment_02.mp4")
  ])
  expect(result.segments[0]!.prompt).toBe(prompt)
  expect(result.plan.segments).toHaveLength(2)
  expect(result.secondsBilled).toBe(8)
  // sora-2 at 1280x720 costs $0.10 per second.
  expect(result.estimatedCostUsd).toBeCloseTo(0.8, 6)
}

describe("the seed's sync example, and the client still being an openai client", { timeout: 180_000 }, () => {
  let emu: Emulator.RunningEmulator
  let dir: ReturnType<typeof Media.tempDir>
  let client: OpenAI
  let result: LongVideoResult.LongVideoResult
  let outputDir: string
  const events: Array<Progress.ProgressEvent> = []

  beforeAll(async () => {
    emu = await Emulator.start()
    dir = Media.tempDir("sync")
    outputDir = join(dir.path, "output")
    // longsora.OpenAI().create_video(prompt=..., seconds=8, num_generations=2, output_dir=...)
    client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
    // onProgress only observes; it is the one addition to the seed's call.
    result = await client.createVideo({
      prompt,
      seconds: 8,
      numGenerations: 2,
      outputDir,
      onProgress: (event) => events.push(event)
    })
  }, 180_000)

  afterAll(async () => {
    await emu?.close()
    dir?.remove()
  })

  it("writes output.mp4 of about 8 s and the segments, bills 8 s, and creates exactly 2 jobs", async () => {
    await expectSeedResult(result, outputDir)
    expect(emu.stats().creates).toBe(2)
  })

  it("reports progress through onProgress in order, from Started to Joined", () => {
    const milestones = events
      // Phase timings (for benchmarks) arrive between these milestones.
      .filter((event) => event._tag !== "SegmentProgress" && event._tag !== "Planned" && event._tag !== "PhaseTimed")
      .map((event) => ("segment" in event ? `${event._tag} ${event.segment}` : event._tag))
    // A clip downloaded range-first is complete (whole on disk) after its last frame was read from its end,
    // possibly after the next segment was queued: its `SegmentCompleted` only has to come before the join.
    expect(milestones.filter((m) => !m.startsWith("SegmentCompleted"))).toEqual([
      "Started",
      "SegmentQueued 1",
      "FrameExtracted 1",
      "SegmentQueued 2",
      "FrameExtracted 2",
      "Joined"
    ])
    for (const segment of [1, 2]) {
      const completed = milestones.indexOf(`SegmentCompleted ${segment}`)
      expect(completed).toBeGreaterThan(milestones.indexOf(`SegmentQueued ${segment}`))
      expect(completed).toBeLessThan(milestones.indexOf("Joined"))
    }
    // Segment 1 renders while the planner writes the plan; segment 2 needs the plan.
    const plannedAt = events.findIndex((event) => event._tag === "Planned")
    const secondQueuedAt = events.findIndex((event) => event._tag === "SegmentQueued" && event.segment === 2)
    expect(events.filter((event) => event._tag === "Planned")).toHaveLength(1)
    expect(plannedAt).toBeGreaterThan(0)
    expect(plannedAt).toBeLessThan(secondQueuedAt)
    expect(events[0]).toMatchObject({
      _tag: "Started",
      durations: [4, 4],
      size: "1280x720",
      estimatedCostUsd: expect.closeTo(0.8, 6)
    })
    expect(events.at(-1)).toEqual({ _tag: "Joined", path: result.output, method: result.joinMethod })
    for (const event of events) {
      if (event._tag === "SegmentQueued" || event._tag === "SegmentProgress" || event._tag === "SegmentCompleted") {
        expect(event.jobId).toBe(result.jobIds[event.segment - 1])
      }
    }
  })

  it("is the official client: the default export, a subclass, with videos.list and videos.retrieve", async () => {
    expect(LongSoraOpenAI).toBe(OpenAI)
    expect(client).toBeInstanceOf(BaseOpenAI)
    const listed = await client.videos.list({ order: "asc" })
    expect(listed.data.map((video) => video.id)).toEqual(result.jobIds)
    for (const [i, id] of result.jobIds.entries()) {
      const video = await client.videos.retrieve(id)
      expect(video.status).toBe("completed")
      expect(video.model).toBe("sora-2")
      expect(video.seconds).toBe("4")
      expect(video.size).toBe("1280x720")
      expect(video.prompt).toBe(result.segments[i]!.prompt)
    }
  })

  it("records the run in the manifest, and rerunning the same call resumes without a new create", async () => {
    const manifest = JSON.parse(readFileSync(join(outputDir, ".longsora", "manifest.json"), "utf8")) as {
      segments: ReadonlyArray<{ jobId: string; state: string }>
      output: string
    }
    expect(manifest.segments.map((segment) => [segment.jobId, segment.state])).toEqual(
      result.jobIds.map((id) => [id, "completed"])
    )
    const again = await client.createVideo({ prompt, seconds: 8, numGenerations: 2, outputDir })
    expect(again.jobIds).toEqual(result.jobIds)
    expect(emu.stats().creates).toBe(2)
  })

  it("refuses a different request in the same outputDir with RunConflict, creating nothing", async () => {
    const error = await client
      .createVideo({ prompt: "A different story.", seconds: 8, numGenerations: 2, outputDir })
      .then(
        () => undefined,
        (cause: unknown) => cause
      )
    expect(error).toBeInstanceOf(Errors.RunConflict)
    expect((error as Errors.RunConflict).changed).toContain("prompt")
    expect((error as Errors.RunConflict).message).toMatch(/restart/)
    expect(emu.stats().creates).toBe(2)
  })
})

describe.concurrent("createVideo", { timeout: 180_000 }, () => {
  it("mirrors the seed's async example with AsyncOpenAI", () =>
    withEmulator("async", async (emu, dir) => {
      const outputDir = join(dir, "output")
      // client = longsora.AsyncOpenAI(); await client.create_video(...)
      const client = new AsyncOpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const result = await client.createVideo({ prompt, seconds: 8, numGenerations: 2, outputDir })
      await expectSeedResult(result, outputDir)
      expect(emu.stats().creates).toBe(2)
    }))

  it("takes the reference as a Buffer and fits a 4:3 image to the 16:9 size", () =>
    withEmulator("reference-bytes", async (emu, dir) => {
      const png = await Media.makePng(join(dir, "reference.png"), "640x480")
      const outputDir = join(dir, "output")
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const result = await client.createVideo({
        prompt,
        seconds: 4,
        numGenerations: 1,
        outputDir,
        inputReference: readFileSync(png) // a Buffer
      })
      expect(result.segments[0]!.referenceCropped).toBe(true)
      expect(existsSync(join(outputDir, "segments", "segment_01.mp4"))).toBe(true)
      expect((await Media.probe(result.output)).duration).toBeCloseTo(4, 0)
      expect(emu.stats().creates).toBe(1)
    }))

  it("takes the reference as a path, and with saveSegments: false leaves only output.mp4 and the manifest", () =>
    withEmulator("reference-path", async (emu, dir) => {
      const png = await Media.makePng(join(dir, "reference.png"), "1920x1080", "teal")
      const outputDir = join(dir, "output")
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const result = await client.createVideo({
        prompt,
        seconds: 4,
        numGenerations: 1,
        outputDir,
        inputReference: png,
        saveSegments: false
      })
      expect(result.segments[0]!.referenceCropped).toBe(false)
      const media = await Media.probe(result.output)
      expect(media.duration).toBeGreaterThan(3.5)
      expect(media.duration).toBeLessThan(4.5)
      expect(filesUnder(outputDir)).toEqual([join(".longsora", "manifest.json"), "output.mp4", "plan.json"])
      expect(emu.stats().creates).toBe(1)
    }))

  it("takes a video as bytes and continues it; includeReference opens the output with the clip", () =>
    withEmulator("reference-video", async (emu, dir) => {
      const clip = await Media.makeClip(join(dir, "my.mp4"), "640x360")
      const outputDir = join(dir, "output")
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const result = await client.createVideo({
        prompt,
        seconds: 4,
        numGenerations: 1,
        outputDir,
        inputReference: readFileSync(clip),
        includeReference: true
      })
      expect(result.includedReference?.seconds).toBeCloseTo(2, 1)
      // 2 s of the clip, then the 4 s segment less the frame the seam shares.
      expect((await Media.probe(result.output)).duration).toBeCloseTo(6, 0)
      expect(emu.stats().creates).toBe(1)
      const refused = await client
        .createVideo({ prompt, seconds: 4, numGenerations: 1, outputDir: join(dir, "no"), includeReference: true })
        .then(
          () => undefined,
          (error: unknown) => error
        )
      expect(refused).toBeInstanceOf(Errors.InvalidRequest)
      expect((refused as Errors.InvalidRequest).field).toBe("includeReference")
      expect(emu.stats().creates).toBe(1)
    }))

  it("rejects an unformable duration with core's typed error before creating anything", () =>
    withEmulator("bad-input", async (emu, dir) => {
      const outputDir = join(dir, "output")
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const error = await client.createVideo({ prompt, seconds: 15, numGenerations: 2, outputDir }).then(
        () => undefined,
        (cause: unknown) => cause
      )
      expect(error).toBeInstanceOf(Errors.UnformableDuration)
      const unformable = error as Errors.UnformableDuration
      expect(unformable._tag).toBe("UnformableDuration")
      expect(unformable.nearestTotals).toEqual([12, 16])
      expect(unformable.message).toMatch(
        /15 s cannot be made of exactly 2 clips of 4, 8 or 12 s\. Try seconds 12 or 16/
      )

      const transition = await client
        .createVideo({ prompt, seconds: 8, numGenerations: 2, outputDir, transition: "wobble" as "cut" })
        .then(
          () => undefined,
          (cause: unknown) => cause
        )
      expect(transition).toBeInstanceOf(Errors.InvalidRequest)
      expect((transition as Errors.InvalidRequest).field).toBe("transition")

      expect(emu.stats().creates).toBe(0)
      expect(existsSync(join(outputDir, "output.mp4"))).toBe(false)
    }))

  it("refuses, in its own field names and before writing or creating anything, a reference that does not decode, a count beyond a run, and a user's output.mp4 (unless force)", () =>
    withEmulator("refusals", async (emu, dir) => {
      const outputDir = join(dir, "output")
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const failure = (params: Omit<Parameters<typeof client.createVideo>[0], "prompt">) =>
        client.createVideo({ prompt, outputDir, ...params }).then(
          () => undefined,
          (cause: unknown) => cause as Errors.InvalidRequest
        )
      const png = readFileSync(await Media.makePng(join(dir, "ref.png"), "640x480"))
      const truncated = await failure({
        seconds: 4,
        numGenerations: 1,
        inputReference: png.subarray(0, png.length >> 1)
      })
      expect(truncated).toBeInstanceOf(Errors.InvalidRequest)
      expect(truncated!.field).toBe("inputReference")
      expect(truncated!.message).toMatch(/^Invalid inputReference: .*could not be read/)
      expect(existsSync(outputDir)).toBe(false)

      const tooMany = await failure({ seconds: 24, numGenerations: 1_000_000 })
      expect(tooMany!.message).toMatch(/^Invalid numGenerations: 1000000\. .*Use numGenerations from 1 to 300\./)

      mkdirSync(outputDir)
      writeFileSync(join(outputDir, "output.mp4"), "my own video")
      const overwrite = await failure({ seconds: 4, numGenerations: 1 })
      expect(overwrite!.field).toBe("outputDir")
      expect(overwrite!.message).toMatch(/not made by a LongSora run there.*pass force to overwrite it\./)
      expect(readFileSync(join(outputDir, "output.mp4"), "utf8")).toBe("my own video")
      expect(emu.stats().creates).toBe(0)

      const forced = await client.createVideo({ prompt, outputDir, seconds: 4, numGenerations: 1, force: true })
      expect((await Media.probe(forced.output)).videoCodec).toBe("h264")
      expect(emu.stats().creates).toBe(1)
    }))

  it("stops when its signal aborts, leaving no output.mp4 and no working files", () =>
    withEmulator("abort", async (emu, dir) => {
      const outputDir = join(dir, "output")
      const controller = new AbortController()
      const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
      const outcome = await client
        .createVideo({
          prompt,
          seconds: 8,
          numGenerations: 2,
          outputDir,
          signal: controller.signal,
          onProgress: (event) => {
            if (event._tag === "SegmentQueued") controller.abort()
          }
        })
        .then(
          () => "resolved",
          (cause: unknown) => cause
        )
      expect(outcome).toBeInstanceOf(Error)
      expect(emu.stats().creates).toBe(1)
      expect(existsSync(join(outputDir, "output.mp4"))).toBe(false)
      const leftovers = filesUnder(outputDir).filter((file) => file !== join(".longsora", "manifest.json"))
      expect(leftovers.filter((file) => file.endsWith(".mp4") || file.includes("work-"))).toEqual([])
    }))
})
