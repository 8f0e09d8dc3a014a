/**
 * When to look at a job next. Renders take from seconds (emulator) to minutes (Sora), so a fixed
 * interval either hammers the API or notices completion late. Instead the next poll is planned from
 * an estimate of the remaining render time: the observed progress rate once the job moves, the
 * expected render time before that. We poll at a fraction of the remaining time, so polls get
 * denser towards the expected end, then once just after the estimated end, and back off gently
 * once a job runs late.
 */

export interface PollingOptions {
  /** Never poll more often than this (ms). */
  readonly minIntervalMs: number
  /** Never wait longer than this between polls (ms). */
  readonly maxIntervalMs: number
  /** Fraction of the estimated remaining time to wait (0.5: halve the gap on each poll). */
  readonly fraction: number
  /** Expected render time for a clip of `seconds`, used until progress reports a rate. */
  readonly expectedRenderMs: (seconds: number) => number
  /** Cap on the first wait: one early look learns the progress rate when the expectation is off. */
  readonly firstPollMs: number
  /** Give up (typed `timeout` error naming the job) after this long without completion (ms). */
  readonly timeoutMs: number
  /**
   * Near the end (estimated remaining time under two minimum intervals), poll once just after the
   * estimated end, by this margin (ms), instead of halving the gap again: one poll, noticed at once.
   */
  readonly endMarginMs: number
}

export const defaultPollingOptions: PollingOptions = {
  minIntervalMs: 1_000,
  maxIntervalMs: 15_000,
  fraction: 0.5,
  // Sora 2 short clips took roughly 30–90 s; longer clips render longer.
  expectedRenderMs: (seconds) => 20_000 + seconds * 6_000,
  firstPollMs: 3_000,
  timeoutMs: 30 * 60_000,
  endMarginMs: 150
}

export interface Observation {
  /** Client clock, ms. */
  readonly at: number
  readonly progress: number
}

export interface PollState {
  /** When the job was submitted (client clock, ms). */
  readonly submittedAt: number
  readonly now: number
  /** Clip length, for the expected render time. */
  readonly seconds: number
  /** Progress observations so far, oldest first. */
  readonly observations: ReadonlyArray<Observation>
  /** A server-requested wait (`retry-after`), if the last poll got one. */
  readonly retryAfterMs?: number | undefined
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value))

/**
 * Estimated remaining render time (ms): from the progress rate between the first moving observation
 * and the latest, or from the expected render time when progress has not moved yet.
 */
export const estimateRemainingMs = (state: PollState, options: PollingOptions): number => {
  const { observations } = state
  const latest = observations[observations.length - 1]
  // The first observation with progress > 0 marks when rendering visibly started.
  const firstMoving = observations.find((o) => o.progress > 0)
  if (latest && firstMoving && latest.progress > firstMoving.progress && latest.at > firstMoving.at) {
    const rate = (latest.progress - firstMoving.progress) / (latest.at - firstMoving.at)
    return (100 - latest.progress) / rate - (state.now - latest.at)
  }
  const expected = options.expectedRenderMs(state.seconds)
  if (latest && latest.progress > 0 && latest.progress < 100) {
    // One sample of progress: assume it accrued evenly since submission.
    const elapsed = Math.max(1, latest.at - state.submittedAt)
    const rate = latest.progress / elapsed
    return (100 - latest.progress) / rate - (state.now - latest.at)
  }
  return expected - (state.now - state.submittedAt)
}

/** Milliseconds until the next poll. */
export const nextDelayMs = (state: PollState, options: PollingOptions): number => {
  const remaining = estimateRemainingMs(state, options)
  const planned =
    remaining <= 0
      ? // Running late: back off slowly with how late we are, so a slow job is not hammered.
        -remaining * 0.25
      : remaining <= 2 * options.minIntervalMs
        ? remaining + options.endMarginMs
        : remaining * options.fraction
  // The poll right after submission sees nothing yet; the next one, early, shows the progress rate.
  const first = state.observations.length <= 1 ? Math.min(planned, options.firstPollMs) : planned
  const delay = clamp(first, options.minIntervalMs, options.maxIntervalMs)
  return state.retryAfterMs === undefined ? delay : Math.max(delay, state.retryAfterMs)
}
