/**
 * What every route handler gets: the shared state of one emulator instance and the request.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { DialectState } from "./Dialects.ts"
import type { FaultName, FaultState } from "./Faults.ts"
import type { FileStore } from "./FileStore.ts"
import type { ImagesState } from "./ImagesApi.ts"
import type { Limits } from "./Limits.ts"
import type { ModelTable } from "./Models.ts"
import type { VideoStore } from "./VideoStore.ts"

export interface App {
  readonly store: VideoStore
  readonly files: FileStore
  readonly faults: FaultState
  readonly models: ModelTable
  /** Request-scoped temp files (uploads, fetched references) until a job takes them. */
  readonly uploadDir: string
  readonly limits: Limits
  /** Incremented for every POST /v1/videos (or remix) that created a job in this process, and every dialect start. */
  creates: number
  /** The Gemini and fal dialects' state (their own start counts among it). */
  readonly dialects: DialectState
  /** The Images API's counts and records. */
  readonly images: ImagesState
}

export interface RequestContext {
  readonly app: App
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly key: string
  readonly faults: ReadonlySet<FaultName>
  /** Path parameters captured by the route pattern. */
  readonly params: ReadonlyArray<string>
}
