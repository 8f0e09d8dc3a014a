import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Combiner } from "@longsora/core"
import { Effect } from "effect"
import * as Conform from "../src/Conform.ts"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as Probe from "../src/Probe.ts"
import { makeClip } from "./fixtures.ts"

const dir = mkdtempSync(NodePath.join(tmpdir(), "longsora-conform-"))
const TIMEOUT = 60_000

layer(FfmpegServices.layer(), { excludeTestServices: true })("Combiner.conform (ffmpeg)", (it) => {
  it.effect(
    "leaves a clip in the segments' format as it is, and brings another (size, rate, no sound) to it",
    () =>
      Effect.gen(function* () {
        const segment = makeClip(NodePath.join(dir, "segment.mp4"), { frames: 30, size: "320x180", rate: 30 })
        const user = makeClip(NodePath.join(dir, "user.mp4"), { frames: 24, size: "640x480", rate: 24, audio: false })
        const combiner = yield* Combiner.Combiner
        const same = yield* combiner.conform(segment, segment, NodePath.join(dir, "same.mp4"))
        assert.deepStrictEqual(same, { path: segment, seconds: 1, reencoded: false })

        const conformed = yield* combiner.conform(user, segment, NodePath.join(dir, "conformed.mp4"))
        assert.isTrue(conformed.reencoded)
        assert.closeTo(conformed.seconds, 1, 0.001)
        const probe = yield* Probe.Probe
        const [made, like] = yield* Effect.all([probe.probe(conformed.path), probe.probe(segment)])
        // Nothing left that would keep it from joining the segments by copy.
        assert.deepStrictEqual(Conform.differences(made, like), { video: false, audio: false })
        assert.strictEqual(made.video!.frames, 30)
        rmSync(dir, { recursive: true, force: true })
      }),
    TIMEOUT
  )
})
