/**
 * The poll loop every provider runs while a job renders: it waits as `Polling` plans (budgeted,
 * adaptive to the progress the provider reports), reports each look as a `SegmentProgress` event,
 * and gives up with the caller's timeout error after `polling.timeoutMs`.
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
}

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
}

/** Polls until the job is done, at the intervals `Polling.nextDelayMs` plans. */
export const watch = Effect.fnUntraced(function* <A, E, R>(options: WatchOptions<A, E, R>) {
  const { job, polling, started } = options
  const begun = yield* Clock.currentTimeMillis
  const deadline = begun + polling.timeoutMs
  let submittedAt = started?.createdAt ?? begun
  // The poll budget runs from the create's answer (or, for a job taken over, its first look).
  let watchingSince = started?.at ?? begun
  const createdBetween = started?.between
  let polls = 0
  const observations: Array<Polling.Observation> = started ? [{ at: started.at, progress: started.progress }] : []
  for (;;) {
    if (observations.length > 0) {
      const now = yield* Clock.currentTimeMillis
      const delay = Polling.nextDelayMs(
        { submittedAt, now, seconds: job.seconds, observations, createdBetween, polls, watchingSince },
        polling
      )
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
    if (look.done !== undefined) return look.done
    if (now >= deadline) return yield* Effect.fail(options.timedOut(look, now - begun))
  }
})
