/** Shared by the join tests: a chain of provider-shaped segments, decoded once, and assertions on outputs. */
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert } from "@effect/vitest"
import { Combiner, type Transition } from "@longsora/core"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { readMovie } from "../src/internal/mp4/index.ts"
import { type ClipOptions, decodeGray, makeChain, soundOnsets, streamDurations, tempDir } from "./fixtures.ts"

/** ffmpeg on two shared cores: generous, the clips are tiny. */
export const TIMEOUT = 40_000
export const W = 320
export const H = 180
export const FRAMES = 60

export const useChain = (prefix: string, clip: Partial<ClipOptions> = {}) => {
  const { dir, cleanup } = tempDir(prefix)
  const state = {
    dir,
    chain: [] as ReadonlyArray<string>,
    decoded: [] as ReadonlyArray<ReadonlyArray<Buffer>>
  }
  beforeAll(() => {
    // GOP 24 with 60 frames: each later segment has keyframes at 24 and 48, so the smart cut re-encodes frames 1–23.
    state.chain = makeChain(dir, 3, { frames: FRAMES, gop: 24, ...clip })
    state.decoded = state.chain.map((clip) => decodeGray(clip, W, H))
  }, 120_000)
  afterAll(cleanup)

  const join = (segments: ReadonlyArray<string>, name: string, transition: Transition.Transition) =>
    Effect.gen(function* () {
      const combiner = yield* Combiner.Combiner
      return yield* combiner.join({ segments, destination: NodePath.join(dir, name), transition })
    })

  const noLeftovers = () =>
    assert.deepStrictEqual(
      readdirSync(dir).filter((f) => f.startsWith(".")),
      []
    )
  return { state, join, noLeftovers }
}

/** Decodes `path` and asserts it is exactly `expected`, frame for frame (a copy keeps every pixel). */
export const assertFramesExact = (path: string, expected: ReadonlyArray<Buffer>) => {
  const output = decodeGray(path, W, H)
  assert.strictEqual(output.length, expected.length)
  for (const [i, frame] of output.entries()) assert.isTrue(frame.equals(expected[i]!), `frame ${i} differs`)
}

/** ffmpeg decodes `path` to the end without a complaint (a broken reference or parameter set would show). */
export const decodesCleanly = (path: string) => {
  const result = spawnSync("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], { encoding: "utf8" })
  assert.strictEqual(result.status, 0)
  assert.strictEqual(result.stderr, "", `decoder complaints: ${result.stderr}`)
}

/** Output sample indices whose data carries a sequence or picture parameter set (NAL types 7, 8). */
export const samplesWithParameterSets = async (path: string) => {
  const video = (await readMovie(path))!.tracks.find((t) => t.handler === "vide")!
  const bytes = readFileSync(path)
  const found: Array<number> = []
  for (let i = 0; i < video.sizes.length; i++) {
    const end = video.offsets[i]! + video.sizes[i]!
    for (let at = video.offsets[i]!; at < end; at += 4 + bytes.readUInt32BE(at)) {
      const type = bytes[at + 4]! & 0x1f
      if (type === 7 || type === 8) {
        found.push(i)
        break
      }
    }
  }
  return found
}

export const assertAudioInSync = (path: string) => {
  const { video, audio } = streamDurations(path)
  assert.isBelow(Math.abs(video - audio), 1 / 30, `audio ${audio} s vs video ${video} s`)
}

/**
 * Each segment's beep must sound in the output where its video puts it: at the segment's output start plus its
 * onset in the source, minus what was dropped. The copy keeps packets bit-exact, so half an AAC packet (10.7 ms)
 * is the whole error budget; the encoder's priming (21 ms) mishandled would exceed it.
 */
export const assertBeepsInSync = (output: string, sources: ReadonlyArray<string>, dropFirstFrame: boolean) => {
  const detected = soundOnsets(output)
  let start = 0
  for (const [k, source] of sources.entries()) {
    const dropped = dropFirstFrame && k > 0 ? 1 / 30 : 0
    const expected = start + soundOnsets(source)[0]! - dropped
    const nearest = detected.reduce(
      (a, b) => (Math.abs(b - expected) < Math.abs(a - expected) ? b : a),
      Number.POSITIVE_INFINITY
    )
    assert.isBelow(
      Math.abs(nearest - expected),
      0.011,
      `segment ${k + 1}: beep at ${nearest} s, expected ${expected} s`
    )
    start += FRAMES / 30 - dropped
  }
}
