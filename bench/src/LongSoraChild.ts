/**
 * The LongSora side of one run, in a fresh process so its peak RSS is its own: the real planner,
 * provider and ffmpeg combiner through `LongSora.layerFromClient`, with a fetch wrapper that
 * timestamps every request and a progress reporter that timestamps every event. Config as JSON in
 * argv[2]; the `ChildReport` goes back over IPC.
 */
import { statSync } from "node:fs"
import { Progress, Transition } from "@longsora/core"
import { LongVideoRequest } from "@longsora/core/LongVideoRequest"
import { LongSora } from "@longsora/sdk"
import { Effect } from "effect"
import OpenAI from "openai"
import type { ChildConfig, ChildReport, EventRecord, RequestKind, RequestRecord } from "./Timeline.ts"

const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig
const requests: Array<RequestRecord> = []
const events: Array<EventRecord> = []

const classify = (method: string, path: string): { kind: RequestKind; jobId: string | undefined } => {
  if (method === "POST" && path.endsWith("/responses")) return { kind: "plan", jobId: undefined }
  if (method === "POST" && path.endsWith("/videos")) return { kind: "create", jobId: undefined }
  const content = /\/videos\/([^/]+)\/content$/.exec(path)
  if (method === "GET" && content) return { kind: "download", jobId: content[1] }
  const video = /\/videos\/([^/]+)$/.exec(path)
  if (method === "GET" && video) return { kind: "poll", jobId: video[1] }
  return { kind: "other", jobId: undefined }
}

/** Wraps fetch: records start, headers and body end of every request, and the video status in JSON answers. */
const timedFetch: typeof globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase()
  const { kind, jobId } = classify(method, url.pathname)
  const start = Date.now()
  const response = await fetch(input, init)
  const headers = Date.now()
  let videoStatus: string | undefined
  let id = jobId
  const record = (end: number) =>
    requests.push({
      kind,
      method,
      path: url.pathname,
      jobId: id,
      start,
      headers,
      end,
      status: response.status,
      videoStatus
    })
  if (kind === "create" || kind === "poll") {
    // Small JSON answers: read them here, then hand the SDK an identical response.
    const text = await response.text()
    try {
      const body = JSON.parse(text) as { id?: string; status?: string }
      videoStatus = body.status
      if (kind === "create") id = body.id
    } catch {}
    record(Date.now())
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  if (!response.body) {
    record(headers)
    return response
  }
  const body = response.body.pipeThrough(
    new TransformStream({
      flush: () => {
        record(Date.now())
      }
    })
  )
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

const reporter = Progress.callbackReporter((event) => {
  const e = event as { _tag: string; segment?: number; jobId?: string; status?: string }
  events.push({ tag: e._tag, at: Date.now(), segment: e.segment, jobId: e.jobId, status: e.status })
})

const client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, fetch: timedFetch, maxRetries: 0 })
const request = new LongVideoRequest({
  prompt: "A paper boat drifts down a rainy street at dusk",
  model: "sora-2",
  durations: Array.from({ length: config.segments }, () => config.clipSeconds),
  size: "1280x720",
  planModel: "gpt-5",
  outputDir: config.outputDir,
  saveSegments: true,
  mode: config.mode,
  ...(config.maxConcurrency === undefined ? {} : { maxConcurrency: config.maxConcurrency }),
  ...(config.seam === "keep" ? { transition: Transition.keepDuplicate } : {})
})

const program = LongSora.generate(request).pipe(
  Effect.provide(LongSora.layerFromClient(client)),
  Effect.provideService(Progress.ProgressReporter, reporter)
)

const t0 = Date.now()
const startupMs = t0 - Math.round(performance.timeOrigin)
let report: ChildReport
try {
  const result = await Effect.runPromise(program)
  const end = Date.now()
  report = {
    t0,
    end,
    startupMs,
    requests,
    events,
    output: result.output,
    outputBytes: statSync(result.output).size,
    jobIds: [...result.jobIds],
    maxRssKiB: process.resourceUsage().maxRSS,
    error: undefined
  }
} catch (e) {
  report = {
    t0,
    end: Date.now(),
    startupMs,
    requests,
    events,
    output: "",
    outputBytes: 0,
    jobIds: [],
    maxRssKiB: process.resourceUsage().maxRSS,
    error: e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  }
}
process.send?.(report, () => process.exit(0))
