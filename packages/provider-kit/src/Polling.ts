/**
 * When to look at a job next. Renders take from seconds (emulator) to minutes (Sora), so a fixed
 * interval either hammers the API or notices completion late. Instead the next poll is planned from
 * an estimate of when the render ends:
 *
 * - Before progress moves, from the expected render time: a first look early (to learn the rate),
 *   then at a fraction of the expected remaining time.
 * - Once progress moves, from every observation at once: progress is reported in whole percent,
 *   read by the server somewhere between a poll's send and its answer, so each observation bounds a
 *   line `progress = 100 − (end − t) / msPerPercent` from both sides (and, while it fits, the line
 *   starts when the create was served). The polygon of lines that fit all of them gives the
 *   earliest and latest plausible end. Far from it we poll at a fraction of the time left, the last
 *   such look just before the window (a reading near 100 % pins the end down best); then we spread
 *   the polls we can afford evenly over the window, the last one at its end, so the end is noticed
 *   within one gap. Progress that fits no line (jumps, stalls) falls back to the newest
 *   observations, then to a plain rate.
 * - A job past its latest plausible end is running late: we back off gently with how late it is.
 *
 * Whatever the plan, the k-th poll of a job waits until `k × averageIntervalMs` after we started
 * watching it, so on average there is never more than one poll per `averageIntervalMs` over the
 * job's life; the burst at the end spends what the sparse polls before it saved.
 */

export interface PollingOptions {
  /** Never poll more often than this (ms), except in the short burst over the estimated end. */
  readonly minIntervalMs: number
  /** Never wait longer than this between polls (ms). */
  readonly maxIntervalMs: number
  /** Fraction of the estimated remaining time to wait while the end is far (0.5: halve the gap). */
  readonly fraction: number
  /** Expected render time for a clip of `seconds`, used until progress reports a rate. */
  readonly expectedRenderMs: (seconds: number) => number
  /** Cap on the first wait: one early look learns the progress rate when the expectation is off. */
  readonly firstPollMs: number
  /** Give up (typed `timeout` error naming the job) after this long without completion (ms). */
  readonly timeoutMs: number
  /** The last poll over the window where the end may fall goes this long after it (ms): timer slack. */
  readonly endMarginMs: number
  /** Once the earliest estimated end is this close (ms), no more polls to refine the estimate. */
  readonly aimWithinMs: number
  /** The last look to refine the estimate comes this long before the earliest estimated end (ms). */
  readonly lastLookMs: number
  /** About the shortest gap between the polls spread over the window where the end may fall (ms). */
  readonly burstIntervalMs: number
  /** A wide estimate spreads at most about this many polls over it (wider gaps, not more polls). */
  readonly maxBurstPolls: number
  /** The poll budget: on average at most one poll per this long over a job's life (ms). */
  readonly averageIntervalMs: number
  /**
   * Renders expected to take at least this long (ms) get the full budget and intervals above; shorter ones get
   * them scaled down in proportion (see `scaledTo`), so a 0.3 s render is not polled as if it took a minute.
   */
  readonly fullBudgetRenderMs: number
  /** The shortest interval and budget scaling may give (ms); also the shortest server hint followed. */
  readonly floorMs: number
  /**
   * The first look at a job just created on a server that may send `openai-poll-after-ms` (until one answer
   * comes without it): one cheap early poll learns the server's own estimate of the wait.
   */
  readonly hintProbeMs: number
  /**
   * Whether the job's status says how far it got (Sora's `progress`). Without it (the Gemini API's
   * operations, fal's queue) there is no estimate to refine, so the polls are spread evenly at the
   * budget's pace: the end is noticed within one `averageIntervalMs` whenever it falls.
   */
  readonly progressReported: boolean
}

export const defaultPollingOptions: PollingOptions = {
  minIntervalMs: 1_000,
  maxIntervalMs: 15_000,
  fraction: 0.5,
  // Sora 2 short clips took roughly 30–90 s; longer clips render longer.
  expectedRenderMs: (seconds) => 20_000 + seconds * 6_000,
  firstPollMs: 3_000,
  timeoutMs: 30 * 60_000,
  endMarginMs: 20,
  aimWithinMs: 3_000,
  lastLookMs: 500,
  burstIntervalMs: 60,
  maxBurstPolls: 6,
  averageIntervalMs: 2_000,
  fullBudgetRenderMs: 20_000,
  floorMs: 50,
  hintProbeMs: 150,
  progressReported: true
}

/**
 * The options for a job expected to render in `expectedMs`: below `fullBudgetRenderMs` the budget, the shortest
 * and first intervals and the burst spacing shrink in proportion (never below `floorMs`), so a short render is
 * noticed within about a tenth of its length while a long one keeps to one poll per `averageIntervalMs`.
 */
export const scaledTo = (options: PollingOptions, expectedMs: number): PollingOptions => {
  const factor = Math.min(1, Math.max(0, expectedMs) / options.fullBudgetRenderMs)
  const scale = (ms: number) => Math.max(options.floorMs, ms * factor)
  return {
    ...options,
    expectedRenderMs: () => expectedMs,
    averageIntervalMs: scale(options.averageIntervalMs),
    minIntervalMs: scale(options.minIntervalMs),
    firstPollMs: scale(options.firstPollMs),
    aimWithinMs: scale(options.aimWithinMs),
    lastLookMs: scale(options.lastLookMs),
    burstIntervalMs: Math.min(options.burstIntervalMs, scale(options.burstIntervalMs))
  }
}

/** The wait a server asked for (`openai-poll-after-ms`), within `floorMs` and `maxIntervalMs`. */
export const hintedDelayMs = (hintMs: number, options: PollingOptions): number =>
  Math.min(options.maxIntervalMs, Math.max(options.floorMs, hintMs))

export interface Observation {
  /** When the answer arrived (client clock, ms). */
  readonly at: number
  /** When its request was sent (client clock, ms); the server read the progress in between. */
  readonly sentAt?: number | undefined
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
  /**
   * The create request's send and answer (client clock): the server made the job in between. Used
   * as the start of progress while that fits the observations (it does when nothing queues).
   */
  readonly createdBetween?: readonly [from: number, to: number] | undefined
  /** Polls made so far (default: the observations), for the budget. */
  readonly polls?: number | undefined
  /** When the budget started: we began watching the job (default: `submittedAt`). */
  readonly watchingSince?: number | undefined
}

/** The earliest and latest plausible end of the render (client clock, ms). */
export interface EndEstimate {
  readonly earliest: number
  readonly latest: number
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value))

/** `end ≤ c + k·w` (upper) or `end ≥ c + k·w` (lower), `w` being ms per percent. */
interface Bound {
  readonly c: number
  readonly k: number
}

/** Slack (ms) for float rounding when checking that a point fits every bound. */
const TOLERANCE = 1e-6

/**
 * Range of `end` over the region `max(lowers) ≤ end ≤ min(uppers)`, `w ≥ 0`, or undefined if the
 * bounds contradict each other. A linear program in two variables: its extremes lie where two
 * bounds cross (or at `w = 0`), so every crossing is tried; `latest` is Infinity when unbounded.
 */
export const feasibleEnd = (uppers: ReadonlyArray<Bound>, lowers: ReadonlyArray<Bound>): EndEstimate | undefined => {
  // Times relative to the first bound: epoch milliseconds would eat the float precision.
  const zero = uppers[0]?.c ?? lowers[0]?.c ?? 0
  const at = (bounds: ReadonlyArray<Bound>, w: number, pick: (a: number, b: number) => number, empty: number) =>
    bounds.reduce((acc, b) => pick(acc, b.c - zero + b.k * w), empty)
  const all = [...uppers, ...lowers]
  const candidates = [0]
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!
      const b = all[j]!
      if (a.k !== b.k) {
        const w = (b.c - a.c) / (a.k - b.k)
        if (w > 0 && Number.isFinite(w)) candidates.push(w)
      }
    }
  }
  let earliest = Number.POSITIVE_INFINITY
  let latest = Number.NEGATIVE_INFINITY
  for (const w of candidates) {
    const low = at(lowers, w, Math.max, Number.NEGATIVE_INFINITY)
    const high = at(uppers, w, Math.min, Number.POSITIVE_INFINITY)
    if (low > high + TOLERANCE) continue
    earliest = Math.min(earliest, low)
    latest = Math.max(latest, high)
  }
  if (earliest === Number.POSITIVE_INFINITY) return undefined
  earliest += zero
  latest += zero
  // Past the last crossing nothing changes order: if the bounds still fit there, and every upper
  // bound keeps rising, the end is unbounded.
  const far = Math.max(...candidates) * 2 + 1e9
  if (
    uppers.every((b) => b.k > 0) &&
    at(lowers, far, Math.max, Number.NEGATIVE_INFINITY) <= at(uppers, far, Math.min, Number.POSITIVE_INFINITY)
  ) {
    latest = Number.POSITIVE_INFINITY
  }
  return { earliest, latest }
}

/**
 * The step progress is reported in: 1 (whole percent) unless the different readings share a larger
 * divisor of 100 (a server reporting in steps of 5 or 10). Two readings can share one by chance
 * (40 and 60); that only widens the estimate until a third says otherwise.
 */
export const granularity = (observations: ReadonlyArray<Observation>): number => {
  const values = [...new Set(observations.map((o) => o.progress))]
  if (values.length < 2 || !values.every(Number.isInteger)) return 1
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
  const step = values.reduce(gcd)
  // Steps divide 100; from two readings only a step of 5 or more is taken (both even is common).
  return 100 % step === 0 && step <= 25 && (values.length > 2 || step >= 5) ? step : 1
}

/** Bounds on the end from progress observations (and the create window as the start of progress). */
const bounds = (observations: ReadonlyArray<Observation>, createdBetween?: readonly [number, number]) => {
  const step = granularity(observations)
  const uppers: Array<Bound> = []
  const lowers: Array<Bound> = []
  for (const o of observations) {
    const sent = Math.min(o.sentAt ?? o.at, o.at)
    // Progress ≥ p when the answer left: the end is at most (100 − p) percent after it.
    uppers.push({ c: o.at, k: 100 - o.progress })
    // Progress < p + step when the request arrived. Near 100 % a server may hold the value while
    // the job finishes late, so such a reading only bounds the end from above.
    if (o.progress + step < 100) lowers.push({ c: sent, k: 100 - o.progress - step })
  }
  if (createdBetween) {
    lowers.push({ c: createdBetween[0], k: 100 })
    uppers.push({ c: createdBetween[1], k: 100 })
  }
  return { uppers, lowers }
}

/** Observations that say something about the rate: progress strictly between 0 and 100. */
const moving = (observations: ReadonlyArray<Observation>) =>
  observations.filter((o) => o.progress > 0 && o.progress < 100)

/** At most this many of the newest moving observations feed the estimate (cost is cubic). */
const WINDOW = 12

/**
 * Earliest and latest plausible end from the progress observations, or undefined before progress
 * moves. Tries, in order, every observation with the create as the start of progress, every
 * observation alone, then the newest three and two (progress that changed pace); when none fits a
 * line, or nothing bounds the end from above yet, the rate between the first moving and the latest
 * observation gives one estimate.
 */
export const estimateEnd = (state: PollState, options: PollingOptions): EndEstimate | undefined => {
  const all = moving(state.observations).slice(-WINDOW)
  if (all.length === 0) return undefined
  const attempts: Array<{
    readonly observations: ReadonlyArray<Observation>
    readonly createdBetween?: readonly [number, number] | undefined
  }> = []
  if (state.createdBetween) attempts.push({ observations: all, createdBetween: state.createdBetween })
  attempts.push({ observations: all })
  if (all.length > 3) attempts.push({ observations: all.slice(-3) })
  if (all.length > 2) attempts.push({ observations: all.slice(-2) })
  for (const { observations, createdBetween } of attempts) {
    const { uppers, lowers } = bounds(observations, createdBetween)
    const found = feasibleEnd(uppers, lowers)
    if (found && Number.isFinite(found.latest)) return found
  }
  const end = state.now + estimateRemainingMs(state, options)
  return { earliest: end, latest: end }
}

/**
 * A single estimate of the remaining render time (ms): from the progress rate between the first
 * moving observation and the latest, or from the expected render time when progress has not moved.
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

/** The wait the estimate asks for, before the budget and `retry-after`. */
const plannedDelayMs = (state: PollState, options: PollingOptions): number => {
  if (!options.progressReported) return options.averageIntervalMs
  const { now } = state
  const end = estimateEnd(state, options)
  if (!end) {
    const remaining = estimateRemainingMs(state, options)
    // Running late: back off slowly with how late we are, so a slow job is not hammered.
    const planned = remaining <= 0 ? -remaining * 0.25 : remaining * options.fraction
    // The poll right after submission sees nothing yet; the next one, early, shows the progress rate.
    const first = state.observations.length <= 1 ? Math.min(planned, options.firstPollMs) : planned
    return clamp(first, options.minIntervalMs, options.maxIntervalMs)
  }
  // The window where the end may fall; its last poll a margin after it, for timer slack.
  const from = Math.max(now, end.earliest)
  const last = end.latest + options.endMarginMs
  // Polls the budget allows until the window closes.
  const spare = pollsAllowedBy(state, options, last)
  if (now < from - options.aimWithinMs && spare > 2) {
    // Far, with polls to spare for the end: look again part-way, to refine the estimate. The last
    // such look goes as late as it can: progress read near the end pins the end down best.
    const wait = clamp((from - now) * options.fraction, options.minIntervalMs, from - now)
    return from - now - wait > options.aimWithinMs ? wait : Math.max(wait, from - now - options.lastLookMs)
  }
  if (now < last) {
    // Near: spread the polls we can spend evenly over the window, the last one at its end, so the
    // end is noticed at most one gap after it happens (a poll at the very start would find nothing).
    const polls = Math.max(
      1,
      Math.min(options.maxBurstPolls, spare, Math.ceil((last - from) / options.burstIntervalMs))
    )
    return from + (last - from) / polls - now
  }
  // The window closed while the last poll was on its way: one look after it is still owed.
  const previous = state.observations[state.observations.length - 1]
  if (previous && (previous.sentAt ?? previous.at) < last) return 0
  return clamp((now - end.latest) * 0.25, options.minIntervalMs, options.maxIntervalMs)
}

/** How many more polls the budget allows by `at` (client clock). */
const pollsAllowedBy = (state: PollState, options: PollingOptions, at: number): number =>
  Math.floor((at - (state.watchingSince ?? state.submittedAt)) / options.averageIntervalMs) -
  (state.polls ?? state.observations.length)

/** The earliest time the next poll keeps the average at one per `averageIntervalMs` (client clock). */
export const budgetAllowsAt = (state: PollState, options: PollingOptions): number =>
  (state.watchingSince ?? state.submittedAt) +
  ((state.polls ?? state.observations.length) + 1) * options.averageIntervalMs

/** Milliseconds until the next poll. */
export const nextDelayMs = (state: PollState, options: PollingOptions): number => {
  const planned = Math.min(plannedDelayMs(state, options), options.maxIntervalMs)
  const delay = Math.max(planned, budgetAllowsAt(state, options) - state.now, 0)
  return state.retryAfterMs === undefined ? delay : Math.max(delay, state.retryAfterMs)
}
