/** The header-built last-frame clip, decoded through a warm ffmpeg fed on stdin. */
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { LastFrameSink } from "../src/internal/LastFrame.ts"
import { lastFrameClip, readMovie } from "../src/internal/mp4/index.ts"
import { WarmProcess } from "../src/internal/warmProcess.ts"
import { decodeFrames, makeClip, tempDir } from "./fixtures.ts"

const TIMEOUT = 60_000
const decoderArgs = ["-nostdin", "-v", "error", "-f", "mp4", "-i", "pipe:0", "-map", "0:v:0", "-an"]
const rawRgb = ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]

describe("lastFrameClip through a WarmProcess", () => {
  const { dir, cleanup } = tempDir("last-frame-clip")

  it(
    "decodes to exactly one frame, the clip's last, with and without B-frames",
    async () => {
      const warm = new WarmProcess("ffmpeg", [...decoderArgs, ...rawRgb])
      try {
        for (const [name, options] of [
          ["bframes.mp4", { frames: 70, gop: 24 }],
          ["plain.mp4", { frames: 70, gop: 24, bframes: 0 }],
          ["one-gop.mp4", { frames: 20, gop: 250 }]
        ] as const) {
          const path = makeClip(NodePath.join(dir, name), options)
          const clip = lastFrameClip((await readMovie(path))!)
          assert.isDefined(clip, name)
          warm.warm()
          const sink = new LastFrameSink(320 * 180 * 3)
          await Effect.runPromise(warm.feed(clip!, sink.write))
          assert.strictEqual(sink.frames, 1, name)
          const all = decodeFrames(path, 320, 180, "rgb24")
          assert.isTrue(sink.frame.equals(all[all.length - 1]!), `${name}: not the last decoded frame`)
        }
      } finally {
        warm.close()
      }
    },
    TIMEOUT
  )

  it(
    "fails with the process's complaint when fed something it cannot decode",
    async () => {
      const warm = new WarmProcess("ffmpeg", [...decoderArgs, ...rawRgb])
      const exit = await Effect.runPromiseExit(
        warm.feed({ head: Buffer.from("not an mp4 at all"), parts: [] }, () => {})
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(Exit.isFailure(exit) ? exit.cause : ""), /exit code/)
    },
    TIMEOUT
  )

  it(
    "warmAfter starts the process only after its delay; a take before then starts one at once and cancels it",
    async () => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
      const warm = new WarmProcess("sleep", ["30"])
      try {
        warm.warmAfter(150)
        assert.isUndefined(warm.waitingPid, "started before its delay")
        await sleep(500)
        assert.isDefined(warm.waitingPid, "not started after its delay")
        warm.close()

        warm.warmAfter(150)
        const taken = warm.take()
        assert.isDefined(taken.pid)
        taken.kill("SIGKILL")
        await sleep(500)
        assert.isUndefined(warm.waitingPid, "the scheduled start ran after a take")
      } finally {
        warm.close()
      }
    },
    TIMEOUT
  )

  it(
    "a waiting process never keeps Node alive, and close() ends it",
    async () => {
      const script = NodePath.join(dir, "idle.ts")
      const module = NodePath.resolve(import.meta.dirname, "../src/internal/warmProcess.ts")
      writeFileSync(
        script,
        `import { WarmProcess } from ${JSON.stringify(module)}\n` +
          `const warm = new WarmProcess("ffmpeg", ${JSON.stringify([...decoderArgs, ...rawRgb])})\n` +
          "warm.warm()\n" +
          // A start scheduled for later must not keep Node alive either.
          `new WarmProcess("sleep", ["30"]).warmAfter(60_000)\n` +
          "console.log('started')\n"
      )
      // Node must exit on its own with the decoder still waiting; the timeout would kill it otherwise.
      const result = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 20_000 })
      assert.strictEqual(result.status, 0, result.stderr)
      assert.strictEqual(result.stdout.trim(), "started")

      const warm = new WarmProcess("sleep", ["30"])
      warm.warm()
      const pid = warm.waitingPid
      assert.isDefined(pid)
      const running = () => {
        try {
          process.kill(pid!, 0)
          return true
        } catch {
          return false
        }
      }
      assert.isTrue(running())
      warm.close()
      // Killed processes stay zombies until Node's event loop reaps them.
      for (let i = 0; i < 50 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      assert.isFalse(running())
      cleanup()
    },
    TIMEOUT
  )
})
