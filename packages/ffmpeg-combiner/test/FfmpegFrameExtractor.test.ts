import { existsSync, writeFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { FrameExtractor } from "@longsora/core"
import { Effect } from "effect"
import sharp from "sharp"
import { afterAll, beforeAll } from "vitest"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import { decodeFrames, ffmpeg, makeClip, tempDir } from "./fixtures.ts"

/** ffmpeg on two shared cores: generous, the clips are tiny. */
const TIMEOUT = 40_000
const { dir, cleanup } = tempDir("frames")
const clips = { bframes: "", vfr: "", longAudio: "" }

beforeAll(() => {
  // libx264 defaults: 3 B-frames, so the last frame in display order is not the last one decoded.
  clips.bframes = makeClip(NodePath.join(dir, "bframes.mp4"), { frames: 100, gop: 48 })
  clips.longAudio = makeClip(NodePath.join(dir, "long-audio.mp4"), { frames: 45, extraAudio: 4 })
  clips.vfr = NodePath.join(dir, "vfr.mp4")
  ffmpeg([
    ...["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30,trim=end_frame=80,setpts=(N*40+15*floor(N/3))/1000/TB"],
    ...[
      "-vsync",
      "vfr",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-pix_fmt",
      "yuv420p",
      "-video_track_timescale",
      "1000"
    ],
    clips.vfr
  ])
}, 120_000)
afterAll(cleanup)

/** The reference: decode every frame of the clip and keep the last, as RGB. */
const lastDecodedFrame = (clip: string) => {
  const frames = decodeFrames(clip, 320, 180, "rgb24")
  return { frame: frames[frames.length - 1]!, frames: frames.length }
}

const pixels = (path: string) => Effect.promise(() => sharp(path).raw().toBuffer({ resolveWithObject: true }))

layer(FfmpegServices.layer(), { excludeTestServices: true })("FfmpegFrameExtractor", (it) => {
  for (const name of ["bframes", "vfr", "longAudio"] as const) {
    it.effect(
      `lastFrame is the clip's last decoded frame, pixel for pixel (${name})`,
      () =>
        Effect.gen(function* () {
          const extractor = yield* FrameExtractor.FrameExtractor
          const destination = NodePath.join(dir, `${name}_last.png`)
          const result = yield* extractor.lastFrame(clips[name], { size: "320x180", destination })
          assert.deepStrictEqual(result, { path: destination, width: 320, height: 180, cropped: false })
          const reference = lastDecodedFrame(clips[name])
          const { data, info } = yield* pixels(destination)
          assert.strictEqual(info.channels, 3)
          assert.isTrue(data.equals(reference.frame), "extracted frame differs from the last decoded frame")
          // The second-to-last frame must differ (testsrc2 moves every frame), so the check above can fail.
          const previous = ffmpeg([
            ...[
              "-i",
              clips[name],
              "-map",
              "0:v:0",
              "-vsync",
              "passthrough",
              "-vf",
              `select=eq(n\\,${reference.frames - 2})`
            ],
            ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
          ])
          assert.isFalse(data.equals(previous))
        }),
      TIMEOUT
    )
  }

  it.effect(
    "lastFrame resizes to the exact size, cropping the centre when the aspect differs",
    () =>
      Effect.gen(function* () {
        const extractor = yield* FrameExtractor.FrameExtractor
        const destination = NodePath.join(dir, "segment_01_last.jpg")
        const portrait = yield* extractor.lastFrame(clips.bframes, { size: "90x160", destination })
        assert.deepStrictEqual(portrait, { path: destination, width: 90, height: 160, cropped: true })
        const info = yield* extractor.inspectImage(destination)
        assert.deepStrictEqual(info, { width: 90, height: 160, mimeType: "image/jpeg" })
        const scaled = yield* extractor.lastFrame(clips.bframes, { size: "1280x720", destination })
        assert.deepStrictEqual([scaled.width, scaled.height, scaled.cropped], [1280, 720, false])
      }),
    TIMEOUT
  )

  it.effect(
    "fitImage crops to the exact size and inspectImage reads the real type, not the name",
    () =>
      Effect.gen(function* () {
        const extractor = yield* FrameExtractor.FrameExtractor
        const source = NodePath.join(dir, "photo.jpg")
        // PNG bytes behind a .jpg name.
        yield* Effect.promise(() =>
          sharp({ create: { width: 400, height: 100, channels: 3, background: "#336699" } })
            .png()
            .toFile(source)
        )
        assert.deepStrictEqual(yield* extractor.inspectImage(source), {
          width: 400,
          height: 100,
          mimeType: "image/png"
        })
        const destination = NodePath.join(dir, "reference.png")
        const fitted = yield* extractor.fitImage(source, { size: "160x90", destination })
        assert.deepStrictEqual(fitted, { path: destination, width: 160, height: 90, cropped: true })
        const same = yield* extractor.fitImage(source, { size: "800x200", destination })
        assert.isFalse(same.cropped)
        assert.deepStrictEqual(yield* extractor.inspectImage(destination), {
          width: 800,
          height: 200,
          mimeType: "image/png"
        })
      }),
    TIMEOUT
  )

  it.effect(
    "inspectImage refuses a truncated image every time, even with many inspected at once",
    () =>
      Effect.gen(function* () {
        const extractor = yield* FrameExtractor.FrameExtractor
        const whole = yield* Effect.promise(() =>
          sharp({ create: { width: 640, height: 480, channels: 3, background: "#ff9900" } })
            .png()
            .toBuffer()
        )
        const halves = Array.from({ length: 40 }, (_, i) => {
          const file = NodePath.join(dir, `half_${i}.png`)
          writeFileSync(file, whole.subarray(0, whole.length >> 1))
          return file
        })
        const outcomes = yield* Effect.forEach(halves, (file) => Effect.flip(extractor.inspectImage(file)), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(
          outcomes.map((error) => error._tag),
          halves.map(() => "FrameError")
        )
      }),
    TIMEOUT
  )

  it.effect(
    "fails with FrameError on a bad size or a file that is not a video",
    () =>
      Effect.gen(function* () {
        const extractor = yield* FrameExtractor.FrameExtractor
        const destination = NodePath.join(dir, "nope.png")
        const badSize = yield* Effect.flip(extractor.lastFrame(clips.bframes, { size: "big", destination }))
        assert.strictEqual(badSize._tag, "FrameError")
        const notVideo = yield* Effect.flip(
          extractor.lastFrame(NodePath.join(dir, "missing.mp4"), { size: "64x64", destination })
        )
        assert.strictEqual(notVideo._tag, "FrameError")
        assert.isFalse(existsSync(destination))
      }),
    TIMEOUT
  )
})
