import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FileSystem, Layer, Ref } from "effect"
import { LongVideo, Manifest, ReferenceVideo } from "../src/index.ts"
import { type Call, makeLayer, request } from "./fixtures/InMemory.ts"

/** An MP4's first bytes (`ftyp`), then what the in-memory extractor reads as a video. */
const fakeVideo = "\0\0\0\x18ftypisomVIDEO"

const setup = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "longsora-core-videoref-" })
  yield* fs.writeFileString(`${dir}/my.mp4`, fakeVideo)
  const calls = yield* Ref.make<ReadonlyArray<Call>>([])
  const run = (overrides: Parameters<typeof request>[0]) =>
    LongVideo.generate(request(overrides)).pipe(
      Effect.provide(makeLayer(calls, {}).pipe(Layer.provideMerge(NodeServices.layer)))
    )
  return { dir, calls, run, fs }
}).pipe(Effect.provide(NodeServices.layer))

describe("a video as the input reference", () => {
  it("tells containers from images by their first bytes", () => {
    const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"))
    expect(ReferenceVideo.looksLikeVideo(bytes(fakeVideo))).toBe(true)
    expect(ReferenceVideo.looksLikeVideo(bytes("\x1a\x45\xdf\xa3webm"))).toBe(true)
    expect(ReferenceVideo.looksLikeVideo(bytes("\x89PNG\r\n\x1a\n0000"))).toBe(false)
    expect(ReferenceVideo.looksLikeVideo(bytes("RIFF0000WEBPVP8 "))).toBe(false)
  })

  it.effect("opens segment 1 on the clip's last frame and tells the planner the story continues it", () =>
    Effect.gen(function* () {
      const { dir, calls, run } = yield* setup
      const result = yield* run({ outputDir: `${dir}/out`, inputReference: `${dir}/my.mp4` })
      const all = yield* Ref.get(calls)
      expect(all.find((call) => call._tag === "lastFrame" && call.video === `${dir}/my.mp4`)).toBeDefined()
      expect(all.some((call) => call._tag === "fitImage")).toBe(false)
      const plan = all.find((call) => call._tag === "plan")
      expect(plan?._tag === "plan" && plan.input.continuesVideo).toBe(true)
      expect(all.some((call) => call._tag === "conform")).toBe(false)
      expect(result.includedReference).toBeUndefined()
    }).pipe(Effect.scoped)
  )

  it.effect("includeReference: the clip, conformed to segment 1, opens the join; manifest and result say so", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup
      const result = yield* run({ outputDir: `${dir}/out`, inputReference: `${dir}/my.mp4`, includeReference: true })
      const all = yield* Ref.get(calls)
      const conform = all.find((call) => call._tag === "conform")
      expect(conform?._tag === "conform" && conform.like).toBe(`${dir}/out/segments/segment_01.mp4`)
      const join = all.find((call) => call._tag === "join")
      expect(join?._tag === "join" && join.segments.length).toBe(4)
      expect(yield* fs.readFileString(`${dir}/out/output.mp4`)).toBe(`${fakeVideo}|clip 1|clip 2|clip 3`)
      expect(result.includedReference).toEqual({ path: `${dir}/my.mp4`, seconds: 5 })
      const manifest = yield* Manifest.read(`${dir}/out`).pipe(Effect.provide(NodeServices.layer))
      expect(manifest._tag === "Some" && Manifest.outputDurations(manifest.value)).toEqual([5, 8, 8, 8])
      expect(manifest._tag === "Some" && manifest.value.request.includeReference).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("refuses chain extend with a video, and includeReference with an image, before any create", () =>
    Effect.gen(function* () {
      const { dir, calls, run, fs } = yield* setup
      yield* fs.writeFileString(`${dir}/ref.png`, "PNG")
      const extend = yield* Effect.flip(
        run({ outputDir: `${dir}/a`, inputReference: `${dir}/my.mp4`, model: "test-extend", chain: "extend" })
      )
      expect(extend.message).toContain("Leave out chain extend")
      const image = yield* Effect.flip(
        run({ outputDir: `${dir}/b`, inputReference: `${dir}/ref.png`, includeReference: true })
      )
      expect(image.message).toContain("Invalid includeReference: an image")
      expect((yield* Ref.get(calls)).some((call) => call._tag === "submit")).toBe(false)
    }).pipe(Effect.scoped)
  )
})
