import { spawn, spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, it as effectIt } from "@effect/vitest"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { describe, expect, it } from "vitest"
import { defaults } from "../src/Defaults.ts"
import type { EmulatorOptions } from "../src/Emulator.ts"
import * as Flags from "../src/Flags.ts"
import { Emulator } from "../src/index.ts"

/** Every flag of the emulator, each a key of the shared table. */
const flagNames = [
  "port",
  "host",
  "api-key",
  "seconds-per-video-second",
  "fixed-seconds",
  "video-bitrate",
  "max-concurrent-jobs-per-key",
  "max-concurrent-renders",
  "expires-after",
  "extended-seconds",
  "data-dir",
  "request-timeout",
  "headers-timeout",
  "fal-queue-origin",
  "rate-limit",
  "server-errors",
  "moderation",
  "stuck",
  "drop-download",
  "lose-create-response",
  "slow-download",
  "fail-operation",
  "expire-result"
]

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

  effectIt.effect("CLI flags map to options, fault knobs included; defaults are the emulator's", () =>
    Effect.gen(function* () {
      const parse = (args: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          let options: EmulatorOptions | undefined
          const command = Command.make("longsora-emulator", Flags.flags, (parsed) =>
            Effect.sync(() => {
              options = Flags.toOptions(parsed)
            })
          )
          // A parse error fails (after printing it); the handler never runs.
          yield* Command.runWith(command, { version: "0.0.0" })(args).pipe(Effect.ignore)
          return options
        }).pipe(Effect.provide(NodeServices.layer))
      const given = yield* parse([
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
        "5000",
        "--video-bitrate",
        "5000000"
      ])
      expect(given).toMatchObject({
        port: 4010,
        render: { videoBitrate: 5_000_000 },
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
      expect(Object.keys(given!.faults!).sort()).toEqual(["dropDownload", "rateLimit", "slowDownload"])
      const none = yield* parse([])
      expect(none).toEqual({
        port: defaults.port,
        host: defaults.host,
        apiKey: defaults.apiKey,
        render: { secondsPerVideoSecond: defaults.secondsPerVideoSecond, fixedSeconds: defaults.fixedSeconds },
        maxConcurrentRenders: defaults.maxConcurrentRenders,
        expiresAfterSeconds: defaults.expiresAfterSeconds,
        extendedSeconds: false,
        timeouts: { requestTimeoutMs: defaults.requestTimeoutMs, headersTimeoutMs: defaults.headersTimeoutMs },
        falQueueOrigin: defaults.falQueueOrigin,
        faults: {}
      })
      // A bad value is a parse error naming the flag; the handler never runs.
      expect(yield* parse(["--port", "x"])).toBeUndefined()
      expect(yield* parse(["--rate-limit", "two"])).toBeUndefined()
    })
  )

  it("bin: --version from package.json, --help lists every flag with its default, a bad flag exits non-zero", () => {
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
    const run = (args: ReadonlyArray<string>) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
    const version = run(["--version"])
    expect(version.stdout.trim()).toContain(
      JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version
    )
    const help = run(["--help"]).stdout
    expect(Object.keys(Flags.flags)).toHaveLength(flagNames.length)
    for (const name of flagNames) expect(help).toMatch(new RegExp(`--${name}\\b`))
    expect(help).toContain(`(default ${defaults.secondsPerVideoSecond})`)
    expect(help).toContain(`(default ${defaults.apiKey})`)
    expect(help).toContain("x-emulator-fault")
    const bad = run(["--port", "x"])
    expect(bad.status).not.toBe(0)
    expect(bad.stdout + bad.stderr).toContain("port")
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
