/** The in-process MP4 header reader agrees with ffprobe on what the extractor and the copy join rely on. */
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FfmpegBinary from "../src/FfmpegBinary.ts"
import { readMovie, videoTiming } from "../src/internal/mp4/index.ts"
import * as Probe from "../src/Probe.ts"
import { ffmpeg, makeClip, tempDir } from "./fixtures.ts"

const TIMEOUT = 60_000

describe("mp4Tables", () => {
  const { dir, cleanup } = tempDir("mp4-tables")
  const probe = (path: string) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const prober = yield* Probe.Probe
        return yield* prober.probe(path)
      }).pipe(Effect.provide(Probe.layer), Effect.provide(FfmpegBinary.layer()))
    )

  it(
    "videoTiming matches ffprobe for B-frames, a long audio tail and no B-frames",
    async () => {
      const clips = [
        makeClip(NodePath.join(dir, "b.mp4"), { frames: 50, gop: 24 }),
        makeClip(NodePath.join(dir, "tail.mp4"), { frames: 45, extraAudio: 2, bframes: 0 }),
        makeClip(NodePath.join(dir, "wide.mp4"), { frames: 20, size: "640x360", rate: 25 })
      ]
      for (const clip of clips) {
        const timing = videoTiming((await readMovie(clip))!)!
        const info = await probe(clip)
        assert.strictEqual(timing.width, info.video!.width, clip)
        assert.strictEqual(timing.height, info.video!.height, clip)
        assert.closeTo(timing.startTime, info.video!.startTime, 1e-3, clip)
        assert.closeTo(timing.duration, info.video!.duration, 1e-3, clip)
        assert.closeTo(timing.fps, info.video!.fps, 1e-6, clip)
        assert.closeTo(timing.fileDuration, info.duration, 0.03, clip)
        // Every sample is listed, with the sizes the packets have.
        const movie = (await readMovie(clip))!
        const video = movie.tracks.find((t) => t.handler === "vide")!
        assert.strictEqual(video.sizes.length, info.video!.frames, clip)
        assert.strictEqual(movie.tracks.find((t) => t.handler === "soun")!.sizes.length, info.audio!.packets, clip)
      }
    },
    TIMEOUT
  )

  it(
    "a rotated clip has no header timing (its decoded frames are not the sample entry's size)",
    async () => {
      const plain = makeClip(NodePath.join(dir, "plain.mp4"), { frames: 10 })
      const rotated = NodePath.join(dir, "rotated.mp4")
      ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
      assert.isDefined(videoTiming((await readMovie(plain))!))
      assert.isUndefined(videoTiming((await readMovie(rotated))!))
    },
    TIMEOUT
  )

  it(
    "is undefined for what it does not read: a fragmented MP4, a file that is not an MP4",
    async () => {
      const plain = makeClip(NodePath.join(dir, "p.mp4"), { frames: 10 })
      const fragmented = NodePath.join(dir, "fragmented.mp4")
      ffmpeg(["-i", plain, "-c", "copy", "-movflags", "frag_keyframe+empty_moov", fragmented])
      assert.isUndefined(await readMovie(fragmented))
      const text = NodePath.join(dir, "not.mp4")
      ffmpeg(["-f", "lavfi", "-i", "sine=d=0.2", "-f", "wav", text])
      assert.isUndefined(await readMovie(text))
      cleanup()
    },
    TIMEOUT
  )
})
