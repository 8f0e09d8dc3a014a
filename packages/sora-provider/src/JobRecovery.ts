/**
 * Never bill twice. The Videos API takes no idempotency key, so when a create's response is lost
 * (timeout, reset, 5xx after the job was made) a plain retry can start a second paid job. Before
 * creating again we list the most recent jobs and take over the one our lost request made:
 * same prompt, model, seconds and size, created while that request could still make it (from its
 * send to its timeout, give or take a clock skew), and owned by nobody else: not another submit of
 * this process, not another segment or run (the caller's `isOwned`). The Video object does not show
 * the reference, so the same prompt sent by someone else in that window is indistinguishable: two
 * or more candidates are never guessed between.
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
  /** The last moment (unix seconds) that create could have made its job: its send plus its timeout. */
  readonly until: number
  /** Jobs known to belong to other segments or runs. */
  readonly isOwned?: ((jobId: string) => boolean) | undefined
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
  video.created_at <= request.until + options.skewSeconds &&
  sameModel(request.model, video.model) &&
  String(video.seconds) === request.seconds &&
  video.size === request.size &&
  // A server that does not echo the prompt cannot prove the job is ours.
  video.prompt === request.prompt

/** What a look at the recent jobs found for a lost create. */
export type Found =
  | { readonly _tag: "None" }
  | { readonly _tag: "Adopt"; readonly video: Video }
  /** More than one job could be ours: adopting either might take another run's clip. */
  | { readonly _tag: "Ambiguous"; readonly candidates: ReadonlyArray<Video> }

/** The job our lost request created, when exactly one job nobody else owns could be it. */
export const pickCreated = (
  recent: ReadonlyArray<Video>,
  request: CreateRequest,
  owned: ReadonlySet<string>,
  options: RecoveryOptions
): Found => {
  const candidates = recent
    .filter((video) => !owned.has(video.id) && !request.isOwned?.(video.id) && matches(video, request, options))
    .sort((a, b) => a.created_at - b.created_at)
  if (candidates.length === 0) return { _tag: "None" }
  if (candidates.length === 1) return { _tag: "Adopt", video: candidates[0]! }
  return { _tag: "Ambiguous", candidates }
}
