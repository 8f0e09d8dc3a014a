import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import * as FfmpegBinary from "../src/FfmpegBinary.ts"
import * as CheckCache from "../src/internal/checkCache.ts"
import { tempDir } from "./fixtures.ts"

const { dir, cleanup } = tempDir("binary")
afterAll(cleanup)

/**
 * A stand-in ffmpeg that behaves like the real one: `-version` prints the banner on stdout; `-encoders` prints it on
 * stderr and the encoder list (here without libx264) on stdout.
 */
const fakeTool = (name: string, banner: string) => {
  const path = NodePath.join(dir, name)
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = "-encoders" ]; then echo "${banner}" >&2; echo " V....D libx265 H.265"; else echo "${banner}"; fi\n`
  )
  chmodSync(path, 0o755)
  return path
}

describe("FfmpegBinary", () => {
  it("parses release, distro and git version banners", () => {
    assert.deepStrictEqual(FfmpegBinary.parseVersion("ffmpeg version 5.1.9-0+deb12u1 Copyright"), {
      major: 5,
      minor: 1,
      text: "5.1.9-0+deb12u1"
    })
    assert.strictEqual(FfmpegBinary.parseVersion("ffmpeg version n7.1 Copyright")?.major, 7)
    assert.isTrue(FfmpegBinary.isSupported(FfmpegBinary.parseVersion("ffmpeg version N-113000-gabc123")!))
    assert.isFalse(FfmpegBinary.isSupported(FfmpegBinary.parseVersion("ffmpeg version 4.2.7-0ubuntu0.1")!))
    assert.isUndefined(FfmpegBinary.parseVersion("not ffmpeg"))
  })

  it.effect("resolve takes the first executable in PATH order, and the bare name when there is none", () =>
    Effect.gen(function* () {
      const dirs = ["a", "b", "c", "d"].map((name) => NodePath.join(dir, `path-${name}`))
      for (const entry of dirs) mkdirSync(entry, { recursive: true })
      // a: not executable; b and d: executable. b comes first.
      writeFileSync(NodePath.join(dirs[0]!, "tool"), "#!/bin/sh\n")
      for (const entry of [dirs[1]!, dirs[3]!]) {
        writeFileSync(NodePath.join(entry, "tool"), "#!/bin/sh\n")
        chmodSync(NodePath.join(entry, "tool"), 0o755)
      }
      const saved = process.env.PATH
      try {
        process.env.PATH = dirs.join(NodePath.delimiter)
        assert.strictEqual(yield* FfmpegBinary.resolve("tool"), NodePath.join(dirs[1]!, "tool"))
        assert.strictEqual(yield* FfmpegBinary.resolve("absent"), "absent")
      } finally {
        process.env.PATH = saved
      }
    })
  )

  it.effect("finds the real ffmpeg on PATH and accepts it", () =>
    Effect.gen(function* () {
      const binary = yield* FfmpegBinary.make()
      assert.isTrue(NodePath.isAbsolute(binary.ffmpeg))
      const version = yield* binary.check
      assert.isTrue(FfmpegBinary.isSupported(version))
    })
  )

  it.effect("a missing ffmpeg is a MissingDependency that says how to install it", () =>
    Effect.gen(function* () {
      const binary = yield* FfmpegBinary.make({ ffmpegPath: NodePath.join(dir, "no-such-ffmpeg") })
      const error = yield* Effect.flip(binary.check)
      assert.strictEqual(error._tag, "MissingDependency")
      assert.strictEqual(error.dependency, "ffmpeg")
      assert.include(error.message, "apt-get install ffmpeg")
      assert.include(error.message, "brew install ffmpeg")
      assert.include(error.message, "FFMPEG_PATH")
    })
  )

  it.effect("an ffmpeg without libx264 is a MissingDependency", () =>
    Effect.gen(function* () {
      const ffmpeg = fakeTool("ffmpeg-nox264", "ffmpeg version 6.1.1 Copyright (c) 2000-2023")
      const ffprobe = fakeTool("ffprobe-nox264", "ffprobe version 6.1.1")
      const error = yield* Effect.flip((yield* FfmpegBinary.make({ ffmpegPath: ffmpeg, ffprobePath: ffprobe })).check)
      assert.strictEqual(error._tag, "MissingDependency")
      assert.include(error.detail, "libx264")
    })
  )

  it.effect("a too old ffmpeg is a MissingDependency naming the version", () =>
    Effect.gen(function* () {
      const ffmpeg = fakeTool("ffmpeg", "ffmpeg version 4.1.11 Copyright (c) 2000-2023")
      const ffprobe = fakeTool("ffprobe", "ffprobe version 4.1.11")
      const error = yield* Effect.flip((yield* FfmpegBinary.make({ ffmpegPath: ffmpeg, ffprobePath: ffprobe })).check)
      assert.strictEqual(error._tag, "MissingDependency")
      assert.include(error.detail, "4.1.11")
    })
  )
})

describe("FfmpegBinary check cache", () => {
  /** A passing stand-in that appends a line to `calls` every time it starts. */
  const countingTool = (name: string, calls: string) => {
    const path = NodePath.join(dir, name)
    const banner = "ffmpeg version 6.1.1 Copyright"
    writeFileSync(
      path,
      `#!/bin/sh\necho "$0" >> "${calls}"\nif [ "$1" = "-encoders" ]; then echo "${banner}" >&2; echo " V....D libx264 H.264"; else echo "${banner}"; fi\n`
    )
    chmodSync(path, 0o755)
    return path
  }
  const starts = (calls: string) => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").length : 0)

  it.effect("a passed check is reused by a later process until either binary changes", () =>
    Effect.gen(function* () {
      const previous = process.env.LONGSORA_CACHE_DIR
      process.env.LONGSORA_CACHE_DIR = NodePath.join(dir, "cache")
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          if (previous === undefined) delete process.env.LONGSORA_CACHE_DIR
          else process.env.LONGSORA_CACHE_DIR = previous
        })
      )
      const calls = NodePath.join(dir, "calls.txt")
      const options = {
        ffmpegPath: countingTool("ffmpeg-cached", calls),
        ffprobePath: countingTool("ffprobe-cached", calls)
      }
      // Each `make` stands for a new process: its in-memory cache starts empty.
      const first = yield* (yield* FfmpegBinary.make(options)).check
      assert.strictEqual(starts(calls), 2)
      const second = yield* (yield* FfmpegBinary.make(options)).check
      assert.deepStrictEqual(second, first)
      assert.strictEqual(starts(calls), 2, "the second process starts neither binary")
      // An upgrade (new mtime) is checked again.
      utimesSync(options.ffprobePath, new Date(), new Date(Date.now() + 5_000))
      yield* (yield* FfmpegBinary.make(options)).check
      assert.strictEqual(starts(calls), 4)
    })
  )

  it("the cache lives under XDG_CACHE_HOME/longsora unless LONGSORA_CACHE_DIR says otherwise", () => {
    assert.strictEqual(CheckCache.cacheDir({ XDG_CACHE_HOME: "/x" }), NodePath.join("/x", "longsora"))
    assert.strictEqual(CheckCache.cacheDir({ XDG_CACHE_HOME: "/x", LONGSORA_CACHE_DIR: "/y" }), "/y")
  })
})
