/** The smart cut written in-process: re-encoded heads and copied tails under one header, parameter sets in-band. */
import { mkdirSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Combiner, Transition } from "@longsora/core"
import { Effect } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as Mp4 from "../src/internal/mp4/index.ts"
import * as Probe from "../src/Probe.ts"
import * as SmartCut from "../src/SmartCut.ts"
import { type ClipOptions, decodeGray, makeClip, meanDifference } from "./fixtures.ts"
import {
  assertAudioInSync,
  assertBeepsInSync,
  assertFramesExact,
  decodesCleanly,
  FRAMES,
  H,
  samplesWithParameterSets,
  TIMEOUT,
  useChain,
  W
} from "./joinFixture.ts"

// libx264's defaults: B-frames (a B-frame delay of 2), so the seam duplicate cannot be dropped by copy alone.
const { state } = useChain("smart-join")

const videoOf = (movie: Mp4.Movie): Mp4.Track => movie.tracks.find((t) => t.handler === "vide")!

const prepareHeads = Effect.fnUntraced(function* (dir: string) {
  const prober = yield* Probe.Probe
  return yield* Effect.forEach(state.chain.slice(1), (path, k) =>
    Effect.flatMap(prober.probe(path), (segment) =>
      SmartCut.prepareHead(segment, NodePath.join(dir, `head_${k + 2}.mp4`))
    )
  )
})

const moviesOf = (paths: ReadonlyArray<string>) =>
  Effect.promise(() => Mp4.readSegments(paths)).pipe(
    Effect.map((movies) => (typeof movies === "string" ? assert.fail(movies) : movies))
  )

/** Two clips of one continuous pattern (the second opens on the first's last frame), made in their own folder. */
const makePair = (name: string, options: (k: number) => Partial<ClipOptions>) => {
  const folder = NodePath.join(state.dir, name)
  mkdirSync(folder)
  return [0, 1].map((k) =>
    makeClip(NodePath.join(folder, `segment_${k + 1}.mp4`), {
      frames: FRAMES,
      startFrame: k * (FRAMES - 1),
      gop: 24,
      ...options(k)
    })
  )
}

/** Joins `clips` with the default Cut through the combiner; it must be a smart cut. */
const smartCut = (clips: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const combiner = yield* Combiner.Combiner
    const destination = NodePath.join(NodePath.dirname(clips[0]!), "joined.mp4")
    const result = yield* combiner.join({ segments: clips, destination, transition: Transition.cut })
    assert.strictEqual(result.method, "smart-cut")
    return destination
  })

/**
 * Segment 1 bit-exact, then segment 2 without its frame 0: its frames 1 up to `copiedFrom` re-encoded (close), the
 * rest copied (bit-exact); and the output decodes without a complaint.
 */
const assertPairCut = (output: string, clips: ReadonlyArray<string>, copiedFrom: number) => {
  const [first, second] = clips.map((clip) => decodeGray(clip, W, H))
  const frames = decodeGray(output, W, H)
  assert.strictEqual(frames.length, 2 * FRAMES - 1)
  for (const [i, frame] of frames.entries()) {
    const inSecond = i - FRAMES + 1
    const expected = i < FRAMES ? first![i]! : second![inSecond]!
    if (i >= FRAMES && inSecond < copiedFrom) assert.isBelow(meanDifference(frame, expected), 2, `re-encoded ${i}`)
    else assert.isTrue(frame.equals(expected), `copied frame ${i} differs`)
  }
  decodesCleanly(output)
}

layer(FfmpegServices.layer(), { excludeTestServices: true })("SmartCutJoin", (it) => {
  it.effect(
    "joins heads and tails by copy: every frame the one its file decodes to, parameter sets in-band only where they change",
    () =>
      Effect.gen(function* () {
        const heads = yield* prepareHeads(state.dir)
        assert.deepStrictEqual(
          heads.map((h) => h.seam.keyframe),
          [24, 24]
        )
        const movies = yield* moviesOf(state.chain)
        const plan = yield* Effect.promise(() => Mp4.readSmartCut(movies, heads))
        if (typeof plan === "string") return assert.fail(plan)
        assert.strictEqual(plan.frames, 3 * FRAMES - 2)
        assert.closeTo(plan.seconds, (3 * FRAMES - 2) / 30, 1e-9)
        const output = NodePath.join(state.dir, "smart.mp4")
        yield* Effect.promise(() => Mp4.writeJoin(plan, output))

        // Segment 1 whole; then each later segment's head (frames 1–23, as its own file decodes) and its tail.
        const headFrames = heads.map((h) => decodeGray(h.head!, W, H))
        assert.strictEqual(headFrames[0]!.length, 23)
        assertFramesExact(output, [
          ...state.decoded[0]!,
          ...headFrames[0]!,
          ...state.decoded[1]!.slice(24),
          ...headFrames[1]!,
          ...state.decoded[2]!.slice(24)
        ])
        decodesCleanly(output)
        assertAudioInSync(output)
        assertBeepsInSync(output, state.chain, true)

        // The heads have other picture parameters (another x264 preset than the clips'): each head switches to its
        // own in-band, its tail back to the source's, and no other sample carries any.
        const head = yield* Effect.promise(() => Mp4.readMovie(heads[0]!.head!))
        const setsOf = (movie: Mp4.Movie) => Mp4.parameterSetsInBand(Mp4.avcConfig(videoOf(movie).headers.stsd)!)
        assert.isFalse(setsOf(head!).equals(setsOf(movies[1]!)))
        const headStarts = [FRAMES, 2 * FRAMES - 1]
        assert.deepStrictEqual(
          yield* Effect.promise(() => samplesWithParameterSets(output)),
          headStarts.flatMap((start) => [start, start + 23])
        )
      }),
    TIMEOUT
  )

  it.effect(
    "through the combiner, clips without audio are smart-cut in-process too",
    () =>
      Effect.gen(function* () {
        const clips = makePair("silent", () => ({ audio: false }))
        const output = yield* smartCut(clips)
        const movie = (yield* Effect.promise(() => Mp4.readMovie(output)))!
        assert.deepStrictEqual(
          movie.tracks.map((t) => [t.handler, t.sizes.length]),
          [["vide", 2 * FRAMES - 1]]
        )
        // ffmpeg's concat mux repeats the parameter sets at every keyframe; the in-process join only where they change.
        assert.deepStrictEqual(yield* Effect.promise(() => samplesWithParameterSets(output)), [FRAMES, FRAMES + 23])
        assertPairCut(output, clips, 24)
      }),
    TIMEOUT
  )

  it.effect(
    "a later segment encoded apart (other SPS/PPS): its head switches to its own sets, its tail to the segment's",
    () =>
      Effect.gen(function* () {
        const clips = makePair("apart", (k) => ({ crf: k === 0 ? 20 : 30 }))
        const output = yield* smartCut(clips)
        assert.deepStrictEqual(yield* Effect.promise(() => samplesWithParameterSets(output)), [FRAMES, FRAMES + 23])
        // Segment 2's tail is bit-exact only if decoded under its own parameter sets.
        assertPairCut(output, clips, 24)
      }),
    TIMEOUT
  )

  it.effect(
    "names what stops it: a head that does not fit its seam, a tail that does not start on a keyframe",
    () =>
      Effect.gen(function* () {
        const heads = yield* prepareHeads(state.dir)
        const movies = yield* moviesOf(state.chain)
        const head = yield* Effect.promise(() => Mp4.readMovie(heads[0]!.head!))
        const plan = (seams: ReadonlyArray<Mp4.SeamHead>) => Mp4.planSmartCut(movies.slice(0, 2), seams)
        assert.match(String(plan([{ keyframe: 25, head }])), /does not show frames 1–24 in order/)
        assert.match(String(plan([{ keyframe: 24, head: undefined }])), /head is not H.264/)
        assert.match(String(plan([{ keyframe: 1, head: undefined }])), /frame 1 is not a clean entry point/)
        assert.match(String(plan([])), /a seam is missing/)
        assert.typeOf(plan([{ keyframe: 24, head }]), "object")
      }),
    TIMEOUT
  )

  it.effect(
    "showsInOrder: closed GOPs with B-frames show each frame once; a run that splits a B-frame group does not",
    () =>
      Effect.gen(function* () {
        const video = videoOf((yield* moviesOf(state.chain))[1]!)
        const ticks = video.durations[0]!
        const run = (first: number, frameTicks = ticks) =>
          Mp4.showsInOrder([{ track: video, first, count: FRAMES - first }], video.editMediaTime, frameTicks)
        assert.isNotEmpty(Array.from(video.compositionOffsets ?? []).filter((v) => v !== video.editMediaTime))
        assert.deepStrictEqual(
          [0, 24, 48].map((first) => run(first)),
          [true, true, true]
        )
        // Samples in decode order show frames 0 4 2 1 3 …: a run from sample 1 starts on a frame shown after others
        // of the run, and runs from samples 2, 3 or 23 also show frames from before their first.
        assert.deepStrictEqual(
          [1, 2, 3, 23].map((first) => run(first)),
          [false, false, false, false]
        )
        // Laid out at another frame length, the same samples no longer land on whole frames.
        assert.isFalse(run(0, ticks * 2))
      }),
    TIMEOUT
  )

  it.effect(
    "open GOPs: a tail never starts on a non-IDR I-frame, so such a segment is re-encoded from frame 1 on",
    () =>
      Effect.gen(function* () {
        // open-gop=1: every I-frame after the first is a sync sample in the MP4 but no IDR; the frames after it
        // build their reference lists from the pictures before it, which a head would replace.
        const clips = makePair("open-gop", () => ({ x264Params: "open-gop=1:scenecut=0" }))
        const video = videoOf((yield* Effect.promise(() => Mp4.readMovie(clips[1]!)))!)
        assert.isAbove(video.sync?.length ?? 0, 1)
        const prober = yield* Probe.Probe
        const seam = yield* SmartCut.findSeam(yield* prober.probe(clips[1]!))
        assert.strictEqual(seam.keyframe, FRAMES)
        const output = yield* smartCut(clips)
        assertPairCut(output, clips, FRAMES)
        assertAudioInSync(output)
      }),
    TIMEOUT
  )
})
