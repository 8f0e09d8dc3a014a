/**
 * The baseline: a plain sequential loop doing exactly what the original client documents, nothing
 * more — for each segment create the video (the previous segment's last frame as `input_reference`),
 * poll it at the server's `openai-poll-after-ms` (else every 1 s), download it, seek to its last
 * frame with ffmpeg, and finally join every clip with ffmpeg's concat demuxer by stream copy. No
 * planning call (it would only add time to the baseline). Run as its own process, as a user runs a
 * script: `node PlainLoop.ts '{"baseURL":…,"apiKey":…,"segments":3,"seconds":4,"size":"1280x720","outputDir":…}'`.
 * Prints one JSON line: its job ids and a timeline (ms epoch) of every step.
 */
import { execFile } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

interface LoopConfig {
  readonly baseURL: string
  readonly apiKey: string
  readonly segments: number
  readonly seconds: number
  readonly size: string
  readonly outputDir: string
}

export interface LoopStep {
  readonly segment: number
  readonly step: "create" | "poll" | "download" | "extract" | "join"
  readonly start: number
  readonly end: number
}

const config = JSON.parse(process.argv[2] ?? "{}") as LoopConfig
const auth = { authorization: `Bearer ${config.apiKey}` }
const steps: Array<LoopStep> = []
const timed = async <A>(segment: number, step: LoopStep["step"], f: () => Promise<A>): Promise<A> => {
  const start = Date.now()
  const result = await f()
  steps.push({ segment, step, start, end: Date.now() })
  return result
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const create = async (prompt: string, reference: string | undefined): Promise<string> => {
  const form = new FormData()
  form.set("prompt", prompt)
  form.set("model", "sora-2")
  form.set("seconds", String(config.seconds))
  form.set("size", config.size)
  if (reference) form.set("input_reference", new Blob([await readFile(reference)], { type: "image/jpeg" }), "last.jpg")
  const response = await fetch(`${config.baseURL}/videos`, { method: "POST", headers: auth, body: form })
  if (!response.ok) throw new Error(`create answered ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { id: string }).id
}

const waitFor = async (segment: number, id: string) => {
  for (;;) {
    const response = await timed(segment, "poll", () => fetch(`${config.baseURL}/videos/${id}`, { headers: auth }))
    const video = (await response.json()) as { status: string }
    if (video.status === "completed") return
    if (video.status === "failed") throw new Error(`job ${id} failed`)
    await sleep(Number(response.headers.get("openai-poll-after-ms") ?? 1000))
  }
}

const download = async (id: string, path: string) => {
  const response = await fetch(`${config.baseURL}/videos/${id}/content`, { headers: auth })
  if (!response.ok) throw new Error(`download answered ${response.status}`)
  await writeFile(path, Buffer.from(await response.arrayBuffer()))
}

const ids: Array<string> = []
const clips: Array<string> = []
const started = Date.now()
let reference: string | undefined
for (let segment = 1; segment <= config.segments; segment++) {
  const id = await timed(segment, "create", () => create(`Segment ${segment} of a paper boat in the rain`, reference))
  ids.push(id)
  await waitFor(segment, id)
  const clip = join(config.outputDir, `segment_${segment}.mp4`)
  await timed(segment, "download", () => download(id, clip))
  clips.push(clip)
  if (segment < config.segments) {
    const last = join(config.outputDir, `segment_${segment}_last.jpg`)
    // Seek close to the end and keep overwriting one image: the last decoded frame remains.
    await timed(segment, "extract", () =>
      run("ffmpeg", ["-v", "error", "-y", "-sseof", "-0.5", "-i", clip, "-update", "1", "-q:v", "2", last])
    )
    reference = last
  }
}
const list = join(config.outputDir, "concat.txt")
const output = join(config.outputDir, "output.mp4")
await timed(config.segments, "join", async () => {
  await writeFile(list, clips.map((clip) => `file '${clip}'`).join("\n"))
  await run("ffmpeg", ["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", output])
})
process.stdout.write(`${JSON.stringify({ jobIds: ids, steps, started, end: Date.now(), output })}\n`)
