import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, it as effectIt } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { parse } from "../src/Cli.ts"
import { Emulator } from "../src/index.ts"

describe("ways to start", { timeout: 20_000 }, () => {
  effectIt.effect("Emulator.layer provides EmulatorServer for the scope and closes it after", () =>
    Effect.gen(function* () {
      const baseURL = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* Emulator.EmulatorServer
          const res = yield* Effect.promise(() =>
            fetch(`${server.baseURL}/videos`, { headers: { authorization: "Bearer sk-emulator" } })
          )
          assert.strictEqual(res.status, 200)
          assert.strictEqual(server.stats().requestsByRoute["GET /v1/videos"], 1)
          return server.baseURL
        }).pipe(Effect.provide(Emulator.layer()))
      )
      const after = yield* Effect.promise(() =>
        fetch(`${baseURL}/videos`).then(
          () => "open",
          () => "closed"
        )
      )
      assert.strictEqual(after, "closed")
    })
  )

  it("CLI flags map to options, fault knobs included", () => {
    expect(
      parse([
        "--port",
        "4010",
        "--api-key",
        "k",
        "--rate-limit",
        "2:1500",
        "--drop-download",
        "1",
        "--slow-download",
        "1000",
        "--extended-seconds",
        "--data-dir",
        "/tmp/emu",
        "--request-timeout",
        "5000"
      ])
    ).toMatchObject({
      port: 4010,
      apiKey: "k",
      extendedSeconds: true,
      dataDir: "/tmp/emu",
      timeouts: { requestTimeoutMs: 5000 },
      faults: {
        rateLimit: { count: 2, retryAfterMs: 1500 },
        dropDownload: { count: 1 },
        slowDownload: { bytesPerSecond: 1000 }
      }
    })
    expect(parse(["--help"])).toBe("help")
    expect(() => parse(["--port", "x"])).toThrow(/--port/)
  })

  it("bin prints its base URL and exits cleanly on SIGTERM", async () => {
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
    const child = spawn(process.execPath, [bin, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] })
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()))
      child.on("exit", (code) => reject(new Error(`exited ${code}`)))
    })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    expect((await fetch(`${url}/videos`, { headers: { authorization: "Bearer sk-emulator" } })).status).toBe(200)
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve))
    child.kill("SIGTERM")
    expect(await exit).toBe(0)
  })

  it("extended seconds and extra models (gateway emulation)", async () => {
    const emu = await Emulator.start({
      extendedSeconds: true,
      models: { "veo-3.1": { seconds: ["4", "6", "8"], sizes: ["1280x720"] } },
      faults: { stuck: { count: 3 } }
    })
    try {
      const post = (body: unknown) =>
        fetch(`${emu.baseURL}/videos`, {
          method: "POST",
          headers: { authorization: "Bearer sk-emulator", "content-type": "application/json" },
          body: JSON.stringify(body)
        })
      expect((await post({ prompt: "p", seconds: "20" })).status).toBe(200)
      expect((await post({ prompt: "p", model: "veo-3.1", seconds: "6", size: "1280x720" })).status).toBe(200)
      expect((await post({ prompt: "p", model: "veo-3.1", seconds: "12", size: "1280x720" })).status).toBe(400)
    } finally {
      await emu.close()
    }
  })
})
