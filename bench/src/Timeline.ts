/** What the LongSora side of one run records (ms epoch timestamps, `Date.now()` on both sides). */

export type RequestKind = "plan" | "create" | "poll" | "download" | "other"

export interface RequestRecord {
  readonly kind: RequestKind
  readonly method: string
  readonly path: string
  /** The job the request is about (from the URL, or the create's answer). */
  readonly jobId: string | undefined
  /** When the request was handed to fetch (upload begins). */
  readonly start: number
  /** When the response headers arrived. */
  readonly headers: number
  /** When the response body was fully read (for downloads: the whole MP4). */
  readonly end: number
  readonly status: number
  /** For polls and creates: the video's `status` in the answer. */
  readonly videoStatus: string | undefined
}

export interface EventRecord {
  readonly tag: string
  readonly at: number
  readonly segment: number | undefined
  readonly jobId: string | undefined
  readonly status: string | undefined
}

export interface ChildConfig {
  readonly baseURL: string
  readonly apiKey: string
  readonly segments: number
  /** Seconds per clip. */
  readonly clipSeconds: number
  readonly mode: "chained" | "independent"
  readonly maxConcurrency: number | undefined
  /** The seam: the mode's default, or a hard cut that keeps every frame (a pure copy join). */
  readonly seam: "default" | "keep"
  readonly outputDir: string
}

export interface ChildReport {
  /** Just before the program started (after the modules loaded). */
  readonly t0: number
  readonly end: number
  /** From process start to `t0`: loading Node, Effect, openai and LongSora. */
  readonly startupMs: number
  readonly requests: ReadonlyArray<RequestRecord>
  readonly events: ReadonlyArray<EventRecord>
  readonly output: string
  readonly outputBytes: number
  readonly jobIds: ReadonlyArray<string>
  /** `process.resourceUsage().maxRSS`, in KiB. */
  readonly maxRssKiB: number
  readonly error: string | undefined
}
