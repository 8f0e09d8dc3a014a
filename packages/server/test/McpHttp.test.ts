/**
 * MCP over Streamable HTTP in `longsora serve` (the built CLI as a child process), driven by the
 * reference client (`@modelcontextprotocol/sdk`): the tools of `longsora mcp` on the server's jobs,
 * behind its API keys. Offline: a refused caller, tools, estimate, generate, progress to completion,
 * the job in `GET /v1/videos`, the same request not made twice. Against an emulator the test owns
 * (creates counted across processes): a server killed mid-run, started again, and the run finished by
 * a new MCP session with one create per segment.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-mcp-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface Status {
  readonly run: string
  readonly state: string
  readonly completedSegments: number
  readonly totalSegments: number
  readonly output: string | null
  readonly resumed?: boolean
}

const prompt = "A lighthouse keeper climbs the stairs at dusk."
const veo = "google:veo-3.1-generate-preview"

const mcpUrl = (baseURL: string) => new URL(baseURL.replace(/\/v1$/, "/mcp"))

const connect = async (baseURL: string, key: string) => {
  const client = new Client({ name: "longsora-http-test", version: "0.0.0" })
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl(baseURL), { requestInit: { headers: { authorization: `Bearer ${key}` } } })
  )
  const call = async (name: string, args: Record<string, unknown>, onProgress?: (progress: Progress) => void) =>
    (await client.callTool({ name, arguments: args }, undefined, {
      timeout: 60_000,
      resetTimeoutOnProgress: true,
      ...(onProgress ? { onprogress: onProgress } : {})
    })) as CallToolResult
  return { client, call }
}

const text = (result: CallToolResult) =>
  result.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n")

const structured = <A = Record<string, unknown>>(result: CallToolResult): A => {
  if (result.isError) throw new Error(`tool error: ${text(result)}`)
  return result.structuredContent as A
}

const issueKey = async (dataDir: string, env?: NodeJS.ProcessEnv) => {
  const issued = await ServeProcess.run(["serve", "keys", "create", "assistant", "--data-dir", dataDir], env)
  expect(issued.code).toBe(0)
  return issued.stdout.trim()
}

const listVideos = async (baseURL: string, key: string) => {
  const response = await fetch(`${baseURL}/videos`, { headers: { authorization: `Bearer ${key}` } })
  return ((await response.json()) as { data: Array<{ id: string; status: string }> }).data
}

describe("longsora serve --offline: MCP at /mcp", { timeout: 60_000 }, () => {
  let server: ServeProcess.Serving
  let key: string

  beforeAll(async () => {
    const dataDir = join(dir, "offline")
    key = await issueKey(dataDir)
    server = await ServeProcess.start(["--offline", "--data-dir", dataDir])
  })

  afterAll(async () => {
    await server?.stop()
  })

  it("refuses a caller without a valid key before MCP sees the request", async () => {
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "anonymous", version: "0" } }
    }
    const post = (headers: Record<string, string>) =>
      fetch(mcpUrl(server.baseURL), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify(initialize)
      })
    const anonymous = await post({})
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="longsora"')
    expect(((await anonymous.json()) as { error: { message: string } }).error.message).toMatch(/API key/)
    expect((await post({ authorization: "Bearer lsk_0000000000000000_wrong" })).status).toBe(401)
    await expect(connect(server.baseURL, "lsk_0000000000000000_wrong")).rejects.toThrow()
  })

  it("the tools of longsora mcp: estimate, generate, status to completion; the run is a job of GET /v1/videos", async () => {
    const { client, call } = await connect(server.baseURL, key)
    try {
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        "estimate",
        "generate",
        "inspect",
        "plan",
        "regenerate",
        "status"
      ])

      const estimate = structured(await call("estimate", { prompt, durations: [4, 4] }))
      expect(estimate).toMatchObject({ durations: [4, 4], size: "1280x720", estimatedCostUsd: 0.8 })

      const started = Date.now()
      const generated = structured<Status>(await call("generate", { prompt, durations: [4, 4] }))
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(generated).toMatchObject({ state: "queued", totalSegments: 2, resumed: false })
      expect(generated.run).toMatch(/^video_[0-9a-f]{48}$/)

      const notifications: Array<Progress> = []
      const done = structured<Status>(
        await call("status", { run: generated.run, watch: true }, (progress) => notifications.push(progress))
      )
      expect(done).toMatchObject({
        state: "completed",
        completedSegments: 2,
        output: `/v1/videos/${generated.run}/content`
      })
      const values = notifications.map((n) => n.progress)
      expect(values.length).toBeGreaterThanOrEqual(2)
      expect(values).toEqual([...values].sort((a, b) => a - b))
      expect(notifications.at(-1)).toMatchObject({ progress: 100, total: 100 })

      // An ordinary job: listed, and its video is served by the Videos API.
      expect(await listVideos(server.baseURL, key)).toEqual([
        expect.objectContaining({ id: generated.run, status: "completed" })
      ])
      const video = await fetch(`${server.baseURL}/videos/${generated.run}/content`, {
        headers: { authorization: `Bearer ${key}` }
      })
      expect(video.status).toBe(200)
      expect((await video.arrayBuffer()).byteLength).toBeGreaterThan(1000)

      // The same request again finds the job instead of making another.
      const again = structured<Status>(await call("generate", { prompt, durations: [4, 4] }))
      expect(again).toMatchObject({ run: generated.run, state: "completed", resumed: false })
      expect(text(await call("generate", { prompt, durations: [4, 4] }))).toMatch(/^Already made, nothing new started/)
      expect(await listVideos(server.baseURL, key)).toHaveLength(1)

      // Resources: the caller's recent runs, a run's status, and its video.
      const recent = await client.readResource({ uri: "longsora://runs" })
      const listed = JSON.parse((recent.contents[0] as { text: string }).text) as Array<{ run: string; uri: string }>
      expect(listed).toEqual([
        expect.objectContaining({ run: generated.run, state: "completed", uri: `longsora://runs/${generated.run}` })
      ])
      const runStatus = await client.readResource({ uri: `longsora://runs/${generated.run}` })
      expect(JSON.parse((runStatus.contents[0] as { text: string }).text)).toMatchObject({ state: "completed" })
      const file = await client.readResource({ uri: `longsora://runs/${generated.run}/output.mp4` })
      expect(file.contents[0]).toMatchObject({ mimeType: "video/mp4" })
      expect(
        Buffer.from((file.contents[0] as { blob: string }).blob, "base64")
          .subarray(4, 8)
          .toString()
      ).toBe("ftyp")

      const inspected = await call("inspect", { run: generated.run })
      expect(structured<{ inSync: boolean }>(inspected).inSync).toBe(true)
      // Not the server's own paths: the API's content URL and the run's resource.
      expect(structured(inspected)).toMatchObject({
        output: `/v1/videos/${generated.run}/content`,
        contactSheet: `longsora://runs/${generated.run}/seams.png`
      })
      const sheet = await client.readResource({ uri: `longsora://runs/${generated.run}/seams.png` })
      expect(sheet.contents[0]).toMatchObject({ mimeType: "image/png" })
      expect(inspected.content.some((block) => block.type === "image")).toBe(true)

      const unformable = await call("estimate", { prompt, seconds: 7, numGenerations: 2 })
      expect(text(unformable)).toMatch(/^Invalid seconds: 7 s cannot be made of exactly 2 clips/)
    } finally {
      await client.close()
    }
  })
  it("chain keyframes: a job with its strategy, a regenerate between the same keyframes; another imageModel is refused", async () => {
    const { client, call } = await connect(server.baseURL, key)
    try {
      const request = {
        prompt: "A paper lantern rises over a dark lake.",
        model: veo,
        durations: [4, 4],
        chain: "keyframes"
      }
      // The operator chose the image model (the default here): naming another is refused, naming it is fine.
      for (const tool of ["estimate", "generate"]) {
        const refused = await call(tool, { ...request, imageModel: "gpt-image-1" })
        expect(refused.isError).toBe(true)
        expect(text(refused)).toMatch(
          /^Invalid imageModel: gpt-image-1\. Allowed: gpt-image-1\.5, the image model this server renders keyframes with/
        )
      }
      const estimate = structured(await call("estimate", { ...request, imageModel: "gpt-image-1.5" }))
      // 8 s of Veo at $0.40/s and 3 keyframe images at $0.05.
      expect(estimate).toMatchObject({ durations: [4, 4], estimatedCostUsd: 3.35 })

      const { run } = structured<Status>(await call("generate", request))
      expect(structured<Status>(await call("status", { run, watch: true }))).toMatchObject({
        state: "completed",
        completedSegments: 2
      })
      const video = (await (
        await fetch(`${server.baseURL}/videos/${run}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { model: string; longsora: Record<string, unknown> }
      expect(video).toMatchObject({ model: veo, longsora: { chain: "keyframes", durations: [4, 4] } })

      // Segment 1 alone is made again, between the keyframes already paid for.
      const redo = structured<Status & { regenerating: Array<number> }>(
        await call("regenerate", { run, segment: 1, confirm: true })
      )
      expect(redo).toMatchObject({ run, state: "queued", regenerating: [1] })
      expect(structured<Status>(await call("status", { run, watch: true }))).toMatchObject({ state: "completed" })
      const manifest = JSON.parse(readFileSync(join(dir, "offline", "jobs", run, ".longsora", "manifest.json"), "utf8"))
      expect(manifest.versions).toMatchObject([{ segment: 1, version: 1 }])
      expect(manifest.keyframes).toHaveLength(3)
      expect(manifest.keyframes.every((k: { lost?: number }) => k.lost === undefined)).toBe(true)
    } finally {
      await client.close()
    }
  })

  it("a regenerate counts toward the key's seconds per day: past the limit it is refused before anything is touched", async () => {
    const dataDir = join(dir, "offline")
    const issued = await ServeProcess.run(
      ["serve", "keys", "create", "tight", "--seconds-per-day", "12", "--data-dir", dataDir],
      undefined
    )
    expect(issued.code).toBe(0)
    const { client, call } = await connect(server.baseURL, issued.stdout.trim())
    try {
      const { run } = structured<Status>(
        await call("generate", { prompt: "A kite over the dunes.", durations: [4, 4] })
      )
      expect(structured<Status>(await call("status", { run, watch: true }))).toMatchObject({ state: "completed" })
      // 8 s made, 4 s more: 12 s of 12 today.
      const redo = { run, segment: 2, prompt: "The kite dips toward the sea.", confirm: true }
      expect(structured<Status>(await call("regenerate", redo))).toMatchObject({ state: "queued" })
      expect(structured<Status>(await call("status", { run, watch: true }))).toMatchObject({ state: "completed" })
      const manifestFile = join(dataDir, "jobs", run, ".longsora", "manifest.json")
      const before = readFileSync(manifestFile, "utf8")

      const refused = await call("regenerate", { ...redo, prompt: "The kite climbs again." })
      expect(refused.isError).toBe(true)
      expect(text(refused)).toMatch(/limit of 12 video seconds per day \(12 s used today/)
      // Nothing was touched: the job is as it was, its manifest unchanged, no segment set aside.
      expect(structured<Status>(await call("status", { run }))).toMatchObject({ state: "completed" })
      expect(readFileSync(manifestFile, "utf8")).toBe(before)
      // A new job is refused too: the regenerate's seconds were charged to today.
      const more = await call("generate", { prompt: "A second kite.", durations: [4] })
      expect(more.isError).toBe(true)
      expect(text(more)).toMatch(/12 s used today/)
    } finally {
      await client.close()
    }
  })
})

describe("longsora serve: MCP runs are durable server jobs", { timeout: 90_000 }, () => {
  it("a run stopped by a lost create: status says to pass recreateLost; generate without it stops again, with it finishes", async () => {
    const emulator = await Emulator.start({ render: { secondsPerVideoSecond: 0.02, fixedSeconds: 0.2 } })
    const dataDir = join(dir, "lost")
    const env = ServeProcess.baseEnv({
      OPENAI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_API_KEY: emulator.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: emulator.geminiBaseURL
    })
    const request = { prompt, model: veo, durations: [4, 4], run: "lost", confirm: true }
    const creates = () => emulator.stats().createsByDialect.gemini
    try {
      const key = await issueKey(dataDir, env)
      const server = await ServeProcess.start(["--base-url", emulator.baseURL, "--data-dir", dataDir], env)
      const mcp = await connect(server.baseURL, key)
      const settled = async () =>
        structured<Status & { error?: string; hint: string }>(await mcp.call("status", { run: "lost", watch: true }))
      try {
        // Veo's job is made, but the answer naming it never arrives: it cannot be looked up, and may be billed.
        emulator.setFaults({ loseCreateResponse: { count: 1 } })
        structured(await mcp.call("generate", request))
        const lost = await settled()
        expect(lost.state).toBe("failed")
        expect(lost.hint).toMatch(/generate with the same request and recreateLost: true/)
        expect(creates()).toBe(1)

        structured(await mcp.call("generate", request))
        expect((await settled()).state).toBe("failed")
        expect(creates()).toBe(1)

        structured(await mcp.call("generate", { ...request, recreateLost: true }))
        expect(await settled()).toMatchObject({ state: "completed", completedSegments: 2 })
        // The lost one, then each segment once.
        expect(creates()).toBe(3)
      } finally {
        await mcp.client.close()
        await server.stop()
      }
    } finally {
      await emulator.close()
    }
  })

  it("killed mid-run and started again: the job finishes, found by a new MCP session, one create per segment", async () => {
    const emulator = await Emulator.start({
      render: { secondsPerVideoSecond: 0.15, fixedSeconds: 0.3 },
      models: { tiny: { seconds: ["2", "4"], sizes: ["320x180"] } }
    })
    const dataDir = join(dir, "killed")
    const args = ["--base-url", emulator.baseURL, "--data-dir", dataDir, "--gateway-model", "tiny:2,4:320x180:0.1"]
    const env = ServeProcess.baseEnv({ OPENAI_API_KEY: emulator.apiKey })
    const request = { prompt, model: "tiny", durations: [4, 4, 4] }
    try {
      const key = await issueKey(dataDir, env)
      const first = await ServeProcess.start([...args, "--confirm-above", "1"], env)
      const before = await connect(first.baseURL, key)
      // $1.20 is above $1, and this client cannot be asked: refused, nothing created.
      const refused = await before.call("generate", request)
      expect(text(refused)).toMatch(/\$1\.20.*confirm: true/s)
      const { run } = structured<Status>(await before.call("generate", { ...request, confirm: true }))
      await ServeProcess.until(async () => (emulator.stats().creates >= 1 ? true : undefined), 30_000, 20)
      await first.kill()
      await before.client.close().catch(() => {})
      expect(emulator.stats().creates).toBeLessThan(3)

      const second = await ServeProcess.start(args, env)
      const after = await connect(second.baseURL, key)
      try {
        const done = structured<Status>(await after.call("status", { run, watch: true }))
        expect(done).toMatchObject({ run, state: "completed", completedSegments: 3 })
        expect(emulator.stats().creates).toBe(3)
        // The same request names the same job: nothing new is made.
        expect(structured<Status>(await after.call("generate", { ...request, confirm: true }))).toMatchObject({
          run,
          state: "completed"
        })
        expect(emulator.stats().creates).toBe(3)
        expect((await listVideos(second.baseURL, key)).map((video) => video.id)).toEqual([run])

        // regenerate: the last segment alone is made again (one create), in the same job, joined again.
        const redo = structured<Status & { regenerating: Array<number> }>(
          await after.call("regenerate", { run, segment: 3, prompt: "The keeper lights the lamp.", confirm: true })
        )
        expect(redo).toMatchObject({ run, state: "queued", regenerating: [3] })
        const redone = structured<Status>(await after.call("status", { run, watch: true }))
        expect(redone).toMatchObject({ run, state: "completed", completedSegments: 3 })
        expect(emulator.stats().creates).toBe(4)
        expect(emulator.stats().jobs.at(-1)).toMatchObject({ status: "completed" })
        const manifest = JSON.parse(readFileSync(join(dataDir, "jobs", run, ".longsora", "manifest.json"), "utf8"))
        expect(manifest.versions).toMatchObject([{ segment: 3, version: 1 }])
        expect(manifest.regenerating).toBeUndefined()
        expect((await listVideos(second.baseURL, key)).map((video) => video.id)).toEqual([run])
      } finally {
        await after.client.close()
        await second.stop()
      }
    } finally {
      await emulator.close()
    }
  })
})
