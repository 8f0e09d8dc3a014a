import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join as joinPath } from "node:path"
import { assert, describe, layer, it as vitestIt } from "@effect/vitest"
import { Combiner, Transition } from "@longsora/core"
import { Effect } from "effect"
import * as FfmpegServices from "../src/FfmpegServices.ts"
import * as Preparation from "../src/Preparation.ts"
import { decodeGray, meanDifference } from "./fixtures.ts"
import { FRAMES, H, TIMEOUT, useChain, W } from "./joinFixture.ts"

const { state, join, noLeftovers } = useChain("prepare")

layer(FfmpegServices.layer(), { excludeTestServices: true })("Preparation", (it) => {
  it.effect(
    "a segment's smart-cut head is encoded once, whoever asks, and kept until the service closes",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const preparation = yield* Preparation.make
          const segment = yield* preparation.probe(state.chain[1]!)
          const [first, second] = yield* Effect.all([preparation.head(segment), preparation.head(segment)], {
            concurrency: 2
          })
          assert.isDefined(first.head)
          assert.strictEqual(second.head, first.head)
          assert.strictEqual(first.seam.keyframe, 24)
          const written = statSync(first.head!).mtimeMs
          const again = yield* preparation.head(yield* preparation.probe(state.chain[1]!))
          assert.strictEqual(again.head, first.head)
          assert.strictEqual(statSync(first.head!).mtimeMs, written)
        })
      ),
    TIMEOUT
  )

  it.effect(
    "a join after prepare gives the same frame-exact smart cut",
    () =>
      Effect.gen(function* () {
        const combiner = yield* Combiner.Combiner
        yield* combiner.prepare(state.chain[1]!, Transition.cut)
        yield* combiner.prepare(state.chain[2]!, Transition.cut)
        const result = yield* join(state.chain, "prepared.mp4", Transition.cut)
        assert.strictEqual(result.method, "smart-cut")
        const output = decodeGray(result.path, W, H)
        const expected = [...state.decoded[0]!, ...state.decoded[1]!.slice(1), ...state.decoded[2]!.slice(1)]
        assert.strictEqual(output.length, 3 * FRAMES - 2)
        for (const [i, frame] of output.entries()) assert.isBelow(meanDifference(frame, expected[i]!), 2, `frame ${i}`)
        for (let i = 1; i < output.length; i++)
          assert.isAbove(meanDifference(output[i]!, output[i - 1]!), 0.5, `frame ${i}`)
        noLeftovers()
      }),
    TIMEOUT
  )
})

describe("Preparation.removeOrphans", () => {
  vitestIt("removes head directories of processes that no longer run, and only those", async () => {
    const root = mkdtempSync(joinPath(tmpdir(), "longsora-orphans-"))
    const dead = joinPath(root, `longsora-prepared-${2 ** 22 + 7}-abc`)
    const alive = joinPath(root, `longsora-prepared-${process.ppid}-def`)
    const other = joinPath(root, "someone-elses")
    for (const dir of [dead, alive, other]) mkdirSync(dir)
    await Preparation.removeOrphans(root)
    assert.deepStrictEqual(readdirSync(root).sort(), [`longsora-prepared-${process.ppid}-def`, "someone-elses"])
    rmSync(root, { recursive: true, force: true })
  })
})
