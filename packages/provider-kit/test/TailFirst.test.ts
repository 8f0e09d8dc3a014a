/** Range-first download: the header and last keyframe interval first (moov at either end), then the rest. */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Download from "../src/Download.ts"
import * as TailFirst from "../src/TailFirst.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "provider-kit-tail-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** A 6 s clip with audio and a keyframe every second; `faststart` puts `moov` first. */
const makeClip = (dir: string, faststart: boolean) => {
  const path = join(dir, faststart ? "start.mp4" : "end.mp4")
  execFileSync("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=6"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-c:v", "libx264", "-g", "30", "-b:v", "1M"],
    ...["-c:a", "aac", "-shortest", ...(faststart ? ["-movflags", "+faststart"] : []), path]
  ])
  return path
}

/** A server over `bytes`: honours `Range` unless told not to, and counts what it sends. */
const server = (bytes: Buffer, honoursRange = true) => {
  const served = { bytes: 0, requests: 0 }
  const fetchRange: TailFirst.FetchRange = async (range) => {
    served.requests++
    const match = /^bytes=(\d+)-(\d+)$/.exec(range)
    if (!honoursRange || !match) {
      served.bytes += bytes.length
      return new Response(new Uint8Array(bytes), { status: 200, headers: { "content-length": `${bytes.length}` } })
    }
    const start = Number(match[1])
    const end = Math.min(Number(match[2]), bytes.length - 1)
    served.bytes += end - start + 1
    return new Response(new Uint8Array(bytes.subarray(start, end + 1)), {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end}/${bytes.length}` }
    })
  }
  return { fetchRange, served }
}

const call = <A>(run: (signal: AbortSignal) => Promise<A>) => Effect.promise(() => run(new AbortController().signal))

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex")

const moovOf = (bytes: Buffer) => {
  const at = bytes.indexOf("moov") - 4
  return bytes.subarray(at, at + bytes.readUInt32BE(at))
}

describe("TailFirst", () => {
  for (const faststart of [false, true]) {
    it.live(
      `moov at the ${faststart ? "start" : "end"}: the header and last keyframe interval first, then the rest`,
      () =>
        Effect.gen(function* () {
          const dir = yield* tempDir
          const original = yield* Effect.promise(() => readFile(makeClip(dir, faststart)))
          const { fetchRange, served } = server(original)
          const destination = join(dir, "clip.mp4")
          const staged = yield* Download.tailFirst(destination, fetchRange, call)
          assert.isDefined(staged.preview)
          // Only the header and about one keyframe interval (1 s of 6) have been fetched.
          assert.isBelow(served.bytes, original.length * 0.45)
          const span = TailFirst.lastKeyframeSpan(moovOf(original))!
          assert.isBelow(span.end - span.start, original.length * 0.3)
          const preview = yield* Effect.promise(() => readFile(staged.preview!))
          assert.strictEqual(preview.length, original.length)
          assert.isTrue(preview.subarray(span.start, span.end).equals(original.subarray(span.start, span.end)))
          assert.isTrue(moovOf(preview).equals(moovOf(original)))
          // Nothing at the destination until the rest is in.
          assert.deepStrictEqual((yield* Effect.promise(() => readdir(dir))).includes("clip.mp4"), false)
          const hash = yield* staged.rest
          assert.strictEqual(hash, sha256(original))
          assert.isTrue((yield* Effect.promise(() => readFile(destination))).equals(original))
          // Every byte was sent once.
          assert.strictEqual(served.bytes, original.length)
          assert.notInclude((yield* Effect.promise(() => readdir(dir))).join(" "), ".part")
        })
    )
  }

  it.live("a server that ignores Range: one plain download, the clip whole at once", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const original = yield* Effect.promise(() => readFile(makeClip(dir, false)))
      const { fetchRange, served } = server(original, false)
      const destination = join(dir, "clip.mp4")
      const staged = yield* Download.tailFirst(destination, fetchRange, call)
      assert.isUndefined(staged.preview)
      assert.isTrue((yield* Effect.promise(() => readFile(destination))).equals(original))
      assert.strictEqual(yield* staged.rest, sha256(original))
      assert.deepStrictEqual(served, { bytes: original.length, requests: 1 })
    })
  )

  it.live("a file that is not an MP4 is downloaded whole, in ranges", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const original = Buffer.alloc(200_000, 7)
      const { fetchRange } = server(original)
      const destination = join(dir, "clip.bin")
      const staged = yield* Download.tailFirst(destination, fetchRange, call)
      assert.isUndefined(staged.preview)
      assert.strictEqual(yield* staged.rest, sha256(original))
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), ["clip.bin"])
    })
  )
})
