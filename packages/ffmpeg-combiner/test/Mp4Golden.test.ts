/**
 * The MP4 layer on committed files from several encoders and muxers (`fixtures/mp4/make.sh`): what it reads from
 * each, or that it falls back, is pinned in `fixtures/mp4/golden.json`, and what it reads is checked against
 * ffprobe. `UPDATE_GOLDEN=1` rewrites the golden file after the fixtures are regenerated (review the diff).
 */
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Mp4 from "../src/internal/mp4/index.ts"

const directory = NodePath.join(import.meta.dirname, "fixtures", "mp4")
const goldenFile = NodePath.join(directory, "golden.json")
const fixtures = readdirSync(directory)
  .filter((name) => /\.(mp4|mov|m4a)$/.test(name))
  .sort()

/** Everything the layer says about one file, in a form that compares (and reads) well as JSON. */
const describeFile = async (path: string) => {
  const movie = await Mp4.readMovie(path)
  const tracks = movie?.tracks.map((track) => ({
    handler: track.handler,
    codec: track.headers.stsd.toString("latin1", 20, 24),
    timescale: track.timescale,
    samples: track.sizes.length,
    bytes: track.sizes.reduce((sum, size) => sum + size, 0),
    sync: track.sync ? Array.from(track.sync) : "all",
    compositionOffsets: track.compositionOffsets !== undefined,
    editMediaTime: track.editMediaTime
  }))
  const single = movie ? Mp4.planCopy([movie, movie], false) : "not read"
  const cut = movie ? Mp4.planCopy([movie, movie], true) : "not read"
  return {
    outcome: movie ? "parsed" : "fall back",
    tracks: tracks ?? null,
    videoTiming: (movie && Mp4.videoTiming(movie)) ?? null,
    lastFrameClip: movie ? Mp4.lastFrameClip(movie) !== undefined : false,
    copyTwice: typeof single === "string" ? single : { frames: single.frames, seconds: single.seconds },
    cutTwice: typeof cut === "string" ? cut : { frames: cut.frames, seconds: cut.seconds },
    syncSamples: (await Mp4.videoSyncSamples(path)) ?? null,
    idrFrames: (await Mp4.videoIdrFrames(path, 10)) ?? null,
    audioPrimingSeconds: (await Mp4.audioPrimingSeconds(path)) ?? null
  }
}

/** ffprobe's packet counts and keyframe flags per stream: the independent reading the parsed tables must match. */
const ffprobePackets = (path: string) => {
  const result = spawnSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "packet=stream_index,flags,size", "-of", "json", path],
    { encoding: "utf8" }
  )
  const packets: Array<{ stream_index: number; flags: string; size: string }> = JSON.parse(result.stdout).packets
  const streams = new Map<number, { count: number; bytes: number; keyframes: number }>()
  for (const packet of packets) {
    const stream = streams.get(packet.stream_index) ?? { count: 0, bytes: 0, keyframes: 0 }
    stream.count++
    stream.bytes += Number(packet.size)
    if (packet.flags.startsWith("K")) stream.keyframes++
    streams.set(packet.stream_index, stream)
  }
  return [...streams.entries()].sort(([a], [b]) => a - b).map(([, stream]) => stream)
}

describe("the MP4 layer on golden files", () => {
  it("reads each fixture as golden.json says (parsed or fall back)", async () => {
    const actual: Record<string, unknown> = {}
    for (const name of fixtures) actual[name] = await describeFile(NodePath.join(directory, name))
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`)
    const golden = JSON.parse(readFileSync(goldenFile, "utf8"))
    assert.deepStrictEqual(Object.keys(golden).sort(), fixtures, "golden.json lists every fixture")
    assert.deepStrictEqual(JSON.parse(JSON.stringify(actual)), golden)
  })

  it("covers both outcomes: plain files parse, fragmented, delayed and truncated ones fall back", async () => {
    const outcome = async (name: string) => (await Mp4.readMovie(NodePath.join(directory, name))) !== undefined
    for (const parsed of ["x264-bframes.mp4", "x264-no-bframes.mp4", "x265.mp4", "mpeg4.mov", "audio-only.m4a"]) {
      assert.isTrue(await outcome(parsed), parsed)
    }
    for (const fallBack of ["fragmented.mp4", "delayed-edit.mp4", "truncated-media.mp4", "truncated-header.mp4"]) {
      assert.isFalse(await outcome(fallBack), fallBack)
    }
  })

  it("agrees with ffprobe on every parsed file: samples, bytes and keyframes per track", async () => {
    for (const name of fixtures) {
      const path = NodePath.join(directory, name)
      const movie = await Mp4.readMovie(path)
      if (!movie) continue
      const ours = movie.tracks.map((track) => ({
        count: track.sizes.length,
        bytes: track.sizes.reduce((sum, size) => sum + size, 0),
        keyframes: track.sync?.length ?? track.sizes.length
      }))
      assert.deepStrictEqual(ours, ffprobePackets(path), name)
    }
  })
})
