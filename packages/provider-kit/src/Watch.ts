/**
 * The poll loop every provider runs while a job renders: it waits as the server asks when it says
 * (`openai-poll-after-ms`, as openai-python's poll helper reads it), else as `Polling` plans (budgeted,
 * adaptive to the progress the provider reports, scaled to the render time this provider has shown),
 * reports each look as a `SegmentProgress` event, and gives up with the caller's timeout error after
 * `polling.timeoutMs`.
 */
import { Progress, type SegmentGenerator } from "@longsora/core"
import { Clock, Duration, Effect } from "effect"
import * as Polling from "./Polling.ts"

/** One look at a job. `done` is set once it finished; a failed job is the look's error instead. */
export interface Look<A> {
  /** The provider's word for the state (`queued`, `in_progress`, `pending`, …), for progress events. */
  readonly status: string
  /** Percent done, 0 when the provider does not say. */
  readonly progress: number
  readonly done?: A | undefined
  /** When the provider says it made the job (client clock, ms), if it says. */
  readonly createdAt?: number | undefined
  /** The wait the server asked for before the next look (`openai-poll-after-ms`), if it asked. */
  readonly pollAfterMs?: number | undefined
}

/**
 * What a provider's jobs have shown so far, shared by every job of one generator: whether its server sends poll
 * hints, and how long its renders took by clip length (the latest), which replaces the configured expectation.
 */
export interface Memory {
  /** `false` once an unfinished job's answer came without a hint; `undefined` before anything is known. */
  hints: boolean | undefined
  readonly renderMs: Map<number, number>
}

export const memory = (): Memory => ({ hints: undefined, renderMs: new Map() })

/** The polling options for a clip of `seconds`, scaled to the render time seen for it (or the configured one). */
export const pollingFor = (polling: Polling.PollingOptions, seconds: number, memory?: Memory | undefined) =>
  Polling.scaledTo(polling, memory?.renderMs.get(seconds) ?? polling.expectedRenderMs(seconds))

/** What the create's answer already told about a job this process just started. */
export interface Started {
  /** When the answer arrived (client clock, ms). */
  readonly at: number
  readonly progress: number
  /** When the job was made (client clock, ms). */
  readonly createdAt: number
  /** The create request's send and answer, when the job came from it. */
  readonly between?: readonly [number, number] | undefined
}

export interface WatchOptions<A, E, R> {
  readonly job: SegmentGenerator.SegmentJob
  readonly polling: Polling.PollingOptions
  /** Set for a job just created here: its answer is the first observation, so the first poll waits. */
  readonly started?: Started | undefined
  /**
   * One poll (retried as the caller sees fit). `stamp` records when an attempt is sent: run it
   * right before each attempt, so the estimate knows when the server read the progress.
   */
  readonly look: (stamp: Effect.Effect<void>) => Effect.Effect<Look<A>, E, R>
  /** The error when the job is still running after `polling.timeoutMs`. */
  readonly timedOut: (last: Look<A>, waitedMs: number) => E
  /** Shared by the provider's jobs (see `memory`); without it each job starts from the configured options. */
  readonly memory?: Memory | undefined
}

/** Polls until the job is done, at the intervals `Polling.nextDelayMs` plans. */
export const watch = Effect.fnUntraced(function* <A, E, R>(options: WatchOptions<A, E, R>) {
  const { job, started, memory } = options
  const polling = pollingFor(options.polling, job.seconds, memory)
  const begun = yield* Clock.currentTimeMillis
  const deadline = begun + polling.timeoutMs
  let submittedAt = started?.createdAt ?? begun
  // The poll budget runs from the create's answer (or, for a job taken over, its first look).
  let watchingSince = started?.at ?? begun
  const createdBetween = started?.between
  let polls = 0
  const observations: Array<Polling.Observation> = started ? [{ at: started.at, progress: started.progress }] : []
  let hint: number | undefined
  for (;;) {
    if (observations.length > 0) {
      const now = yield* Clock.currentTimeMillis
      const planned = Polling.nextDelayMs(
        { submittedAt, now, seconds: job.seconds, observations, createdBetween, polls, watchingSince },
        polling
      )
      // The server's own estimate wins; before its first answer, a server that may hint gets one early look.
      const delay =
        hint !== undefined
          ? Polling.hintedDelayMs(hint, polling)
          : polls === 0 && memory !== undefined && memory.hints !== false
            ? Math.min(planned, polling.hintProbeMs)
            : planned
      yield* Effect.sleep(Duration.millis(Math.max(0, Math.min(delay, deadline - now))))
    }
    let sentAt = 0
    const stamp = Effect.map(Clock.currentTimeMillis, (at) => {
      sentAt = at
    })
    const look = yield* options.look(stamp)
    const now = yield* Clock.currentTimeMillis
    polls++
    if (observations.length === 0) {
      submittedAt = Math.min(now, look.createdAt ?? now)
      watchingSince = submittedAt
    }
    observations.push({ sentAt: sentAt || now, at: now, progress: look.progress })
    yield* Progress.emit({
      _tag: "SegmentProgress",
      segment: job.segment,
      jobId: job.id,
      status: look.status,
      percent: look.progress
    })
    hint = look.pollAfterMs
    if (memory && look.done === undefined) memory.hints = hint !== undefined
    if (look.done !== undefined) {
      // From the create's answer when we saw it (the server's created_at is in whole seconds).
      if (memory) memory.renderMs.set(job.seconds, Math.max(0, now - (started?.at ?? submittedAt)))
      return look.done
    }
    if (now >= deadline) return yield* Effect.fail(options.timedOut(look, now - begun))
  }
})
