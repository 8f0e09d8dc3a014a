/**
 * Bounds on what a request can make the emulator keep: refused uploads leave no byte on disk,
 * multipart fields and files are counted and capped (memory does not grow with their size), slow
 * bodies time out, and an `image_url` can only reach public https hosts.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { request } from "node:http"
import { connect, createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Emulator } from "../src/index.ts"
import {
  api,
  BOUNDARY,
  bytesUnder,
  type ChildEmulator,
  multipart,
  partHead,
  postJson,
  referencePng,
  startChild
} from "./helpers.ts"

const KiB = 1024
const MiB = 1024 * KiB

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const eventually = async (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(25)
  }
  return check()
}

describe("refused requests leave nothing on disk", { timeout: 30_000 }, () => {
  let dir: string
  let emu: Emulator.RunningEmulator
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "emulator-bounds-"))
    emu = await Emulator.start({
      dataDir: dir,
      limits: { maxFileBytes: 256 * KiB, maxFieldBytes: 64 * KiB, maxFields: 8, maxBodyBytes: MiB },
      timeouts: { requestTimeoutMs: 1000 }
    })
  })
  afterAll(async () => {
    await emu.close()
    await rm(dir, { recursive: true, force: true })
  })
  const nothingLeft = async () => {
    expect(await bytesUnder(dir)).toBe(0)
    expect(emu.stats().creates).toBe(0)
  }
  const post = (body: Buffer, headers: Record<string, string> = {}) =>
    api(emu, "/videos", { method: "POST", body, headers })

  it("an oversize upload, a wrong-size image (upload and data: URL), extra files", async () => {
    const big = multipart([
      { name: "prompt", value: "p" },
      { name: "input_reference", value: Buffer.alloc(600 * KiB, 1), filename: "a.png", type: "image/png" }
    ])
    const tooBig = await post(big.body, big.headers)
    expect(tooBig.status).toBe(400)
    expect((await errorOf(tooBig)).code).toBe("file_too_large")
    await nothingLeft()

    const small = await referencePng(160, 90)
    const wrongSize = multipart([
      { name: "prompt", value: "p" },
      { name: "input_reference", value: small, filename: "a.png", type: "image/png" }
    ])
    expect((await errorOf(await post(wrongSize.body, wrongSize.headers))).message).toBe(
      "Inpaint image must match the requested width and height"
    )
    await nothingLeft()
    const dataUrl = `data:image/png;base64,${small.toString("base64")}`
    const viaJson = await postJson(emu, "/videos", { prompt: "p", input_reference: { image_url: dataUrl } })
    expect((await errorOf(viaJson)).message).toBe("Inpaint image must match the requested width and height")
    await nothingLeft()

    const files = multipart([
      { name: "prompt", value: "p" },
      ...[1, 2, 3].map(() => ({
        name: "input_reference",
        value: Buffer.alloc(100 * KiB),
        filename: "a.png",
        type: "image/png"
      }))
    ])
    const extra = await post(files.body, files.headers)
    expect(extra.status).toBe(400)
    expect((await errorOf(extra)).message).toMatch(/Too many files.*at most 1/)
    await nothingLeft()
  })

  it("too many fields, a field too large, a body too large: the contract's error envelope", async () => {
    const many = multipart(Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, value: "x" })))
    const fields = await post(many.body, many.headers)
    expect(fields.status).toBe(400)
    expect(await errorOf(fields)).toMatchObject({ code: "invalid_multipart", message: expect.stringMatching(/fields/) })
    const long = multipart([{ name: "prompt", value: "x".repeat(100 * KiB) }])
    const field = await post(long.body, long.headers)
    expect(field.status).toBe(400)
    expect((await errorOf(field)).code).toBe("field_too_large")
    const huge = await postJson(emu, "/videos", { prompt: "x".repeat(2 * MiB) })
    expect(huge.status).toBe(413)
    expect((await errorOf(huge)).code).toBe("request_too_large")
    await nothingLeft()
  })

  it("a multipart body cut off mid-upload, and one held open, are removed (the held one times out in ~1 s)", async () => {
    const { port } = new URL(emu.baseURL)
    const sendPartial = (): Socket => {
      const socket = connect(Number(port), "127.0.0.1")
      socket.write(
        `POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-emulator\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: 200000\r\n\r\n`
      )
      socket.write(partHead({ name: "input_reference", filename: "a.png", type: "image/png" }))
      socket.write(Buffer.alloc(100 * KiB, 7))
      socket.on("error", () => {})
      // Read what the server answers, so its closing the connection is seen.
      socket.resume()
      return socket
    }
    const cut = sendPartial()
    // The upload is on disk before the client goes away, so "nothing left" means removed.
    expect(await eventually(async () => (await bytesUnder(dir)) > 0, 2000)).toBe(true)
    cut.destroy()
    expect(await eventually(async () => (await bytesUnder(dir)) === 0, 2000)).toBe(true)

    const held = sendPartial()
    const t0 = Date.now()
    await new Promise((resolve) => held.once("close", resolve))
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(await eventually(async () => (await bytesUnder(dir)) === 0, 2000)).toBe(true)
    await nothingLeft()
  })

  it("image_url: http:, and https: to loopback or private hosts, are refused without any connection", async () => {
    let connections = 0
    const trap = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve))
    const trapPort = (trap.address() as { port: number }).port
    try {
      const refused = async (url: string, code: string) => {
        const res = await postJson(emu, "/videos", { prompt: "p", input_reference: { image_url: url } })
        expect(res.status, url).toBe(400)
        const error = await errorOf(res)
        expect(error.code, `${url}: ${error.message}`).toBe(code)
        return error
      }
      await refused(`http://127.0.0.1:${trapPort}/a.png`, "invalid_value")
      expect((await refused(`https://127.0.0.1:${trapPort}/a.png`, "invalid_image_url")).message).toMatch(
        /loopback, private or link-local/
      )
      await refused(`https://localhost:${trapPort}/a.png`, "invalid_image_url")
      await refused(`https://[::ffff:127.0.0.1]:${trapPort}/a.png`, "invalid_image_url")
      await refused("https://169.254.169.254/latest/meta-data", "invalid_image_url")
      await refused("https://10.1.2.3/a.png", "invalid_image_url")
      await refused("file:///etc/passwd", "invalid_value")
      expect(connections).toBe(0)
      await nothingLeft()
    } finally {
      trap.close()
    }
  })
})

/** Peak resident memory of a process so far (Linux). */
const peakRssBytes = async (pid: number): Promise<number> => {
  const { readFile } = await import("node:fs/promises")
  const status = await readFile(`/proc/${pid}/status`, "utf8")
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * KiB
}

describe("memory does not grow with field size", { timeout: 30_000 }, () => {
  let child: ChildEmulator
  beforeAll(async () => {
    child = await startChild([])
  })
  afterAll(async () => {
    await child.stop("SIGKILL")
  })

  it("8 fields of 29 MB streamed to a default emulator: refused, peak RSS grows by far less than the fields", async () => {
    // Warm up the code paths a refused multipart request uses.
    const warm = multipart([
      { name: "prompt", value: "p" },
      { name: "width", value: "1" }
    ])
    await api(child, "/videos", { method: "POST", body: warm.body, headers: warm.headers })
    const before = await peakRssBytes(child.child.pid ?? 0)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL(`${child.baseURL}/videos`),
        {
          method: "POST",
          headers: { authorization: "Bearer sk-emulator", "content-type": `multipart/form-data; boundary=${BOUNDARY}` }
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }
      )
      req.on("error", () => {})
      const chunk = Buffer.alloc(MiB, "a")
      let field = 0
      let written = 0
      const pump = () => {
        while (field < 8) {
          if (written === 0 && !req.write(partHead({ name: `input_reference[image_url]` })))
            return void req.once("drain", pump)
          while (written < 29) {
            written++
            if (!req.write(chunk)) return void req.once("drain", pump)
          }
          req.write("\r\n")
          written = 0
          field++
        }
        req.end(`--${BOUNDARY}--\r\n`)
      }
      req.on("close", () => reject(new Error("closed before an answer")))
      pump()
    })
    const growth = (await peakRssBytes(child.child.pid ?? 0)) - before
    console.log(`peak RSS growth for 8 × 29 MB fields: ${(growth / MiB).toFixed(1)} MiB`)
    expect([400, 413]).toContain(status)
    // The fields total 232 MB; one field is held at most (≤ 20 MiB), plus busboy's copy of it.
    expect(growth).toBeLessThan(96 * MiB)
  })
})
