/**
 * Never bill twice. The Videos API takes no idempotency key, so when a create's response is lost
 * (timeout, reset, 5xx after the job was made) a plain retry can start a second paid job. Before
 * creating again we list the most recent jobs and take over the one our lost request made:
 * same prompt, model, seconds and size, created no earlier than the request (less a clock skew),
 * and not already owned by another submit of this process.
 */
import type OpenAI from "openai"

type Video = OpenAI.Videos.Video

export interface CreateRequest {
  readonly prompt: string
  readonly model: string
  readonly seconds: string
  readonly size: string
  /** Client clock (unix seconds) when the first create attempt was sent. */
  readonly startedAt: number
}

export interface RecoveryOptions {
  /** How many recent jobs to look at (one page of `videos.list`). */
  readonly listLimit: number
  /** Allowed difference between our clock and the server's, in seconds. */
  readonly skewSeconds: number
}

export const defaultRecoveryOptions: RecoveryOptions = { listLimit: 20, skewSeconds: 30 }

/** Gateways may echo a dated snapshot for an alias (`sora-2` → `sora-2-2025-12-08`). */
const sameModel = (sent: string, echoed: string) =>
  echoed === sent || (echoed.startsWith(`${sent}-`) && /^\d{4}-\d{2}-\d{2}$/.test(echoed.slice(sent.length + 1)))

export const matches = (video: Video, request: CreateRequest, options: RecoveryOptions): boolean =>
  video.created_at >= request.startedAt - options.skewSeconds &&
  sameModel(request.model, video.model) &&
  String(video.seconds) === request.seconds &&
  video.size === request.size &&
  // A server that does not echo the prompt cannot prove the job is ours.
  video.prompt === request.prompt

/**
 * The job our lost request created, if any: the earliest match that nobody in this process owns
 * (identical segments submitted concurrently each keep their own job).
 */
export const pickCreated = (
  recent: ReadonlyArray<Video>,
  request: CreateRequest,
  owned: ReadonlySet<string>,
  options: RecoveryOptions
): Video | undefined =>
  recent
    .filter((video) => !owned.has(video.id) && matches(video, request, options))
    .sort((a, b) => a.created_at - b.created_at)[0]
