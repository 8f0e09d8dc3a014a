/**
 * `longsora mcp` end to end: the built CLI as a child process, driven by a real MCP client over
 * stdio. Offline (the embedded emulator): tools, estimate, plan, generate, progress notifications to
 * completion, inspect, resources, schema errors. Against an emulator the test owns (so creates are
 * counted across processes): the cost confirmation, then a run killed mid-render and resumed by a
 * new server process, with creates == segments.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Emulator } from "@longsora/emulator"
import type { Progress } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as McpProcess from "./McpProcess.ts"

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-mcp-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface Status {
  readonly run: string
  readonly state: string
  readonly completedSegments: number
  readonly totalSegments: number
  readonly segments: ReadonlyArray<{ readonly segment: number; readonly state: string; readonly jobId?: string }>
  readonly output: string | null
  readonly resumed?: boolean
}

const prompt = "A lighthouse keeper climbs the stairs at dusk."

interface RunManifest {
  readonly request: { readonly durations: ReadonlyArray<number> }
  readonly segments: ReadonlyArray<{ readonly segment: number; readonly state: string; readonly jobId?: string }>
  readonly output: string | null
}

const manifestOf = (runDir: string) =>
  JSON.parse(readFileSync(join(runDir, ".longsora", "manifest.json"), "utf8")) as RunManifest

/** SIGKILLs the server once segment 1 is done and recorded (segment 2 is on its way), and checks it died mid-run. */
const killWhileRendering = async (mcp: McpProcess.Connection, run: string, runDir: string) => {
  const watched = mcp.call("status", { run, watch: true }, (progress) => {
    if (progress.progress >= 1) process.kill(mcp.transport.pid!, "SIGKILL")
  })
  await expect(watched).rejects.toThrow()
  await mcp.client.close()
  const manifest = manifestOf(runDir)
  expect(manifest.segments.find((s) => s.segment === 1)?.state).toBe("completed")
  expect(manifest.segments.filter((s) => s.state === "completed").length).toBeLessThan(
    manifest.request.durations.length
  )
  expect(manifest.output).toBeNull()
}

describe("longsora mcp --offline", { timeout: 60_000 }, () => {
  let mcp: McpProcess.Connection
  let run: string

  beforeAll(async () => {
    mcp = await McpProcess.connect(["--offline", "--runs-dir", join(dir, "offline")])
  })

  afterAll(async () => {
    await mcp?.client.close()
  })

  it("lists the tools with schemas a model can fill in", async () => {
    const { tools } = await mcp.client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "estimate",
      "generate",
      "inspect",
      "plan",
      "regenerate",
      "status"
    ])
    expect(tools.find((tool) => tool.name === "regenerate")!.inputSchema.required).toEqual(["run", "segment"])
    const generate = tools.find((tool) => tool.name === "generate")!
    expect(generate.inputSchema.required).toEqual(["prompt"])
    expect(Object.keys(generate.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["prompt", "seconds", "durations", "plan", "run", "confirm"])
    )
    expect(generate.annotations?.readOnlyHint).toBe(false)
    expect(tools.find((tool) => tool.name === "estimate")!.annotations?.readOnlyHint).toBe(true)
  })

  it("estimate: the split and the cost, nothing planned or paid", async () => {
    const estimate = McpProcess.structured(await mcp.call("estimate", { prompt, seconds: 12, numGenerations: 3 }))
    expect(estimate).toMatchObject({ durations: [4, 4, 4], size: "1280x720", estimatedCostUsd: 1.2 })
  })

  it("plan: an editable plan whose first segment is the user's prompt", async () => {
    const { plan } = McpProcess.structured<{ plan: { segments: Array<{ prompt: string; seconds: number }> } }>(
      await mcp.call("plan", { prompt, durations: [4, 8] })
    )
    expect(plan.segments.map((segment) => segment.seconds)).toEqual([4, 8])
    expect(plan.segments[0]!.prompt).toBe(prompt)
  })

  it("bad arguments get schema errors naming them; core's errors come back with the CLI's messages", async () => {
    const excess = await mcp.call("estimate", { prompt, duration: 8 })
    expect(excess.isError).toBe(true)
    expect(McpProcess.text(excess)).toContain('["duration"]')
    const wrongType = await mcp.call("generate", { prompt: 42 })
    expect(wrongType.isError).toBe(true)
    expect(McpProcess.text(wrongType)).toContain('["prompt"]')
    const badName = await mcp.call("status", { run: "../elsewhere" })
    expect(badName.isError).toBe(true)
    expect(McpProcess.text(badName)).toContain('["run"]')
    const unformable = await mcp.call("estimate", { prompt, seconds: 7, numGenerations: 2 })
    expect(unformable.isError).toBe(true)
    expect(McpProcess.text(unformable)).toMatch(/^Invalid seconds: 7 s cannot be made of exactly 2 clips/)
    const transition = await mcp.call("generate", { prompt, durations: [4], transition: "wipe" })
    expect(McpProcess.text(transition)).toMatch(/^Invalid transition: wipe\. Allowed: cut, keep, crossfade/)
  })

  it("chain strategies: keyframes with Veo are estimated with their images; a model without them is told which it has", async () => {
    const veo = "google:veo-3.1-generate-preview"
    const keyframes = McpProcess.structured<{ estimatedCostUsd: number; durations: Array<number> }>(
      await mcp.call("estimate", { prompt, model: veo, durations: [8, 8], chain: "keyframes" })
    )
    // 16 s at $0.40/s, and 3 keyframe images at $0.05 (the default image model).
    expect(keyframes).toMatchObject({ durations: [8, 8] })
    expect(keyframes.estimatedCostUsd).toBeCloseTo(6.55, 2)
    const withGemini = McpProcess.structured<{ estimatedCostUsd: number }>(
      await mcp.call("estimate", {
        prompt,
        model: veo,
        durations: [8, 8],
        chain: "keyframes",
        imageModel: "google:gemini-2.5-flash-image"
      })
    )
    expect(withGemini.estimatedCostUsd).toBeCloseTo(6.4 + 3 * 0.039, 2)
    const refused = await mcp.call("estimate", { prompt, durations: [4, 4], chain: "keyframes" })
    expect(McpProcess.text(refused)).toMatch(/^Invalid chain: keyframes\. Allowed: last-frame or extend for sora-2/)
  })

  it("generate returns at once; status follows progress notifications to completion", async () => {
    const started = Date.now()
    const generated = McpProcess.structured<Status>(await mcp.call("generate", { prompt, durations: [4, 4] }))
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(generated).toMatchObject({ state: "running", resumed: false })
    run = generated.run

    const notifications: Array<Progress> = []
    const status = McpProcess.structured<Status>(
      await mcp.call("status", { run, watch: true }, (progress) => notifications.push(progress))
    )
    expect(status).toMatchObject({ state: "completed", completedSegments: 2, totalSegments: 2 })
    expect(status.output).toBe(join(dir, "offline", run, "output.mp4"))
    expect(notifications.length).toBeGreaterThanOrEqual(2)
    const values = notifications.map((n) => n.progress)
    expect(values).toEqual([...values].sort((a, b) => a - b))
    expect(new Set(values).size).toBe(values.length)
    expect(notifications.at(-1)).toMatchObject({ progress: 3, total: 3 })
  })

  it("a different request under a finished run's name is refused in the tools' words, and the run stays as it was", async () => {
    const conflict = await mcp.call("generate", { prompt: "A different story.", durations: [4], run })
    expect(conflict.isError).toBe(true)
    expect(McpProcess.text(conflict)).toMatch(
      /^Invalid run: .* of a different request \(changed: prompt, durations\)\. Start over with restart, or use another output directory\./
    )
    expect(McpProcess.structured<Status>(await mcp.call("status", { run }))).toMatchObject({ state: "completed" })
  })

  it("inspect: seam figures and the contact sheet as an image", async () => {
    const result = await mcp.call("inspect", { run })
    const report = McpProcess.structured<{ inSync: boolean; seams: { seams: Array<{ segment: number }> } }>(result)
    expect(report.inSync).toBe(true)
    expect(report.seams.seams.map((seam) => seam.segment)).toEqual([1])
    const image = result.content.find((block) => block.type === "image")
    expect(image?.type === "image" && image.mimeType).toBe("image/png")
    const png = Buffer.from(image?.type === "image" ? image.data : "", "base64")
    expect(png.subarray(1, 4).toString()).toBe("PNG")
  })

  it("resources: recent runs and their files", async () => {
    const runs = await mcp.client.readResource({ uri: "longsora://runs" })
    const text = (contents: ReadonlyArray<{ readonly uri: string }>) => {
      const first = contents[0]
      return first && "text" in first ? String(first.text) : ""
    }
    const listed = JSON.parse(text(runs.contents)) as Array<{ run: string; state: string }>
    expect(listed).toEqual([expect.objectContaining({ run, state: "completed" })])
    const plan = await mcp.client.readResource({ uri: `longsora://runs/${run}/plan.json` })
    expect(JSON.parse(text(plan.contents)).segments).toHaveLength(2)
    const sheet = await mcp.client.readResource({ uri: `longsora://runs/${run}/seams.png` })
    expect(sheet.contents[0]).toMatchObject({ mimeType: "image/png", blob: expect.any(String) })
    const { resourceTemplates } = await mcp.client.listResourceTemplates()
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(
      expect.arrayContaining(["longsora://runs/{run}", "longsora://runs/{run}/{file}"])
    )
  })
})

describe("longsora mcp --offline, killed", { timeout: 60_000 }, () => {
  it("resumes a run on the emulator's jobs kept in the run's directory: one create per segment", async () => {
    const runsDir = join(dir, "offline-killed")
    const request = { prompt, durations: [4, 4] }
    const first = await McpProcess.connect(["--offline", "--runs-dir", runsDir])
    const { run } = McpProcess.structured<Status>(await first.call("generate", request))
    const runDir = join(runsDir, run)
    await killWhileRendering(first, run, runDir)

    const second = await McpProcess.connect(["--offline", "--runs-dir", runsDir])
    try {
      expect(McpProcess.structured<Status>(await second.call("status", {}))).toMatchObject({ run, state: "stopped" })
      expect(McpProcess.structured<Status>(await second.call("generate", request))).toMatchObject({
        run,
        resumed: true
      })
      const done = McpProcess.structured<Status>(await second.call("status", { run, watch: true }))
      expect(done).toMatchObject({ state: "completed", completedSegments: 2 })
      // Both processes' embedded emulators recorded their creates there: one per segment in all.
      const counted = await Emulator.readDataDir(join(runDir, ".longsora", "emulator"))
      expect(counted.creates).toBe(2)
      expect(new Set(done.segments.map((segment) => segment.jobId))).toEqual(new Set(counted.jobs.map((job) => job.id)))
    } finally {
      await second.client.close()
    }
  })
})

describe("longsora mcp against a server that bills", { timeout: 60_000 }, () => {
  it("asks before paying, survives being killed mid-run, and resumes without paying twice", async () => {
    const emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.25, fixedSeconds: 0.5 } })
    const runsDir = join(dir, "billed")
    const args = ["--base-url", emu.baseURL, "--runs-dir", runsDir, "--confirm-above", "1"]
    const env = { OPENAI_API_KEY: emu.apiKey }
    const request = { prompt, durations: [4, 4, 4] }
    let second: McpProcess.Connection | undefined
    try {
      const first = await McpProcess.connect(args, { env })
      // $1.20 is above $1, and this client cannot be asked: a refusal that says how to confirm.
      const refused = await first.call("generate", request)
      expect(refused.isError).toBe(true)
      expect(McpProcess.text(refused)).toMatch(/\$1\.20.*confirm: true/s)
      expect(emu.stats().creates).toBe(0)

      const { run } = McpProcess.structured<Status>(await first.call("generate", { ...request, confirm: true }))
      await killWhileRendering(first, run, join(runsDir, run))

      // A new server finds the run, and the same request resumes it (this client confirms when asked).
      second = await McpProcess.connect(args, { env, acceptElicitations: true })
      const found = McpProcess.structured<Status>(await second.call("status", { run }))
      expect(found).toMatchObject({ run, state: "stopped", totalSegments: 3 })
      expect(found.completedSegments).toBeGreaterThanOrEqual(1)
      const resumed = McpProcess.structured<Status>(await second.call("generate", request))
      expect(resumed).toMatchObject({ run, resumed: true })
      expect(second.elicitations).toEqual([expect.stringContaining("$1.20")])
      const notifications: Array<Progress> = []
      const done = McpProcess.structured<Status>(
        await second.call("status", { run, watch: true }, (progress) => notifications.push(progress))
      )
      // Over both processes: each 4 s segment paid once.
      expect(done).toMatchObject({ state: "completed", completedSegments: 3, billed: { seconds: 12 } })
      // Segment 1, reused, counts as done from the first notification on.
      expect(notifications[0]!.progress).toBeGreaterThanOrEqual(1)
      expect(notifications.at(-1)).toMatchObject({ progress: 4, total: 4 })

      // Nothing paid twice: one create per segment, and they are the jobs the run kept.
      expect(emu.stats().creates).toBe(3)
      expect(new Set(done.segments.map((segment) => segment.jobId)).size).toBe(3)
    } finally {
      await second?.client.close()
      await emu.close()
    }
  })
})

describe("longsora mcp recreateLost", { timeout: 60_000 }, () => {
  it("a segment whose create was never answered is made anew only when asked, after a refusal that says how", async () => {
    const emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.02, fixedSeconds: 0.2 } })
    const args = ["--base-url", emu.baseURL, "--runs-dir", join(dir, "lost"), "--confirm-above", "100"]
    const env = {
      OPENAI_API_KEY: emu.apiKey,
      GOOGLE_GENERATIVE_AI_API_KEY: emu.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: emu.geminiBaseURL
    }
    const request = { prompt, model: "google:veo-3.1-generate-preview", durations: [4, 4], run: "lost" }
    const mcp = await McpProcess.connect(args, { env })
    const finished = async () =>
      McpProcess.structured<Status & { readonly error?: string }>(
        await mcp.call("status", { run: "lost", watch: true })
      )
    try {
      // Veo's job is made, but the answer naming it never arrives: it may be billed, and cannot be looked up.
      emu.setFaults({ loseCreateResponse: { count: 1 } })
      McpProcess.structured(await mcp.call("generate", request))
      expect((await finished()).state).toBe("failed")
      expect(emu.stats().creates).toBe(1)

      McpProcess.structured(await mcp.call("generate", request))
      const refused = await finished()
      expect(refused.state).toBe("failed")
      expect(refused.error).toMatch(/recreateLost: true/)
      expect(emu.stats().creates).toBe(1)

      McpProcess.structured(await mcp.call("generate", { ...request, recreateLost: true }))
      expect(await finished()).toMatchObject({ state: "completed", completedSegments: 2 })
      // The lost one, then each segment once.
      expect(emu.stats().creates).toBe(3)
    } finally {
      await mcp.client.close()
      await emu.close()
    }
  })
})

describe("longsora mcp regenerate", { timeout: 60_000 }, () => {
  it("shows the cost first, refuses above the threshold until confirmed, makes one segment again and keeps the old one", async () => {
    const emu = await Emulator.start({ render: { secondsPerVideoSecond: 0.02, fixedSeconds: 0.2 } })
    const runsDir = join(dir, "regenerate")
    const mcp = await McpProcess.connect(["--base-url", emu.baseURL, "--runs-dir", runsDir, "--confirm-above", "0.5"], {
      env: { OPENAI_API_KEY: emu.apiKey }
    })
    try {
      const { run } = McpProcess.structured<Status>(
        await mcp.call("generate", { prompt, durations: [4, 4], confirm: true })
      )
      expect(McpProcess.structured<Status>(await mcp.call("status", { run, watch: true }))).toMatchObject({
        state: "completed"
      })
      expect(emu.stats().creates).toBe(2)

      const notARun = await mcp.call("regenerate", { run: "no-such-run", segment: 1 })
      expect(McpProcess.text(notARun)).toMatch(/^Invalid run: no-such-run/)
      const outOfRange = await mcp.call("regenerate", { run, segment: 3 })
      expect(McpProcess.text(outOfRange)).toMatch(/^Invalid segment: 3\. Allowed: a segment from 1 to 2/)
      const firstPrompt = await mcp.call("regenerate", { run, segment: 1, prompt: "Another start." })
      expect(McpProcess.text(firstPrompt)).toMatch(/^Invalid prompt: .*segment 2 or later/)

      // Segment 1 again means segment 2 too (chained): $0.80, above $0.50, and this client cannot be asked.
      const refused = await mcp.call("regenerate", { run, segment: 1 })
      expect(refused.isError).toBe(true)
      expect(McpProcess.text(refused)).toMatch(/\$0\.80.*call regenerate again with confirm: true/s)
      expect(emu.stats().creates).toBe(2)

      // Segment 2 alone is $0.40: below the threshold, started at once, with the cost up front.
      const started = await mcp.call("regenerate", { run, segment: 2, prompt: "The keeper lights the lamp." })
      expect(McpProcess.text(started)).toMatch(/^Making segment 2 again \(4 s, estimated \$0\.40\)/)
      expect(McpProcess.structured(started)).toMatchObject({ regenerating: [2], estimatedCostUsd: 0.4 })
      const done = McpProcess.structured<Status>(await mcp.call("status", { run, watch: true }))
      expect(done).toMatchObject({ state: "completed", completedSegments: 2 })
      expect(emu.stats().creates).toBe(3)

      const manifest = JSON.parse(readFileSync(join(runsDir, run, ".longsora", "manifest.json"), "utf8")) as {
        versions: Array<{ segment: number; version: number; jobId: string }>
        plan: { segments: Array<{ prompt: string }> }
      }
      expect(manifest.versions.map(({ segment, version }) => [segment, version])).toEqual([[2, 1]])
      expect(manifest.versions[0]!.jobId).not.toBe(done.segments[1]!.jobId)
      expect(manifest.plan.segments[1]!.prompt).toBe("The keeper lights the lamp.")
    } finally {
      await mcp.client.close()
      await emu.close()
    }
  })
})

describe("longsora mcp without an API key", { timeout: 30_000 }, () => {
  it("still estimates; plan and generate say how to get going", async () => {
    const mcp = await McpProcess.connect(["--runs-dir", join(dir, "keyless")])
    try {
      const estimate = McpProcess.structured(await mcp.call("estimate", { prompt, durations: [8, 4] }))
      expect(estimate).toMatchObject({ durations: [8, 4], estimatedCostUsd: 1.2, needsConfirmation: false })
      const plan = await mcp.call("plan", { prompt, durations: [8, 4] })
      expect(plan.isError).toBe(true)
      expect(McpProcess.text(plan)).toBe(
        "Planning failed: OPENAI_API_KEY is not set (or use --offline to plan on the emulator)"
      )
      const generate = await mcp.call("generate", { prompt, durations: [8, 4] })
      expect(generate.isError).toBe(true)
      expect(McpProcess.text(generate)).toMatch(/^Invalid OPENAI_API_KEY: not set\..*--offline/)
    } finally {
      await mcp.client.close()
    }
  })

  it("ends cleanly when the client closes its stdin", () => {
    const ended = spawnSync(process.execPath, [McpProcess.bin, "mcp", "--runs-dir", join(dir, "keyless")], {
      input: "",
      encoding: "utf8",
      timeout: 20_000
    })
    expect({ status: ended.status, stdout: ended.stdout }).toEqual({ status: 0, stdout: "" })
  })
})
