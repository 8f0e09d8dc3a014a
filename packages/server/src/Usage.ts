/**
 * The per-key limits, one rule for both job stores: a key may have at most `maxRunningJobs` jobs queued or in
 * progress, and at most `secondsPerDay` seconds of video a UTC day, counting the jobs created that day and every
 * regenerate charged that day (a regenerate of an older job counts on the day it is made). A retry of a failed job
 * counts as a running job again, and charges no seconds: the job's were charged when it was created, and a failed
 * job's are not given back.
 */
import type { LimitExceeded, Limits } from "./JobStore.ts"

export interface Usage {
  /** The owner's jobs queued or in progress. */
  readonly running: number
  /** Seconds of video the owner used today (UTC): jobs created and regenerates charged. */
  readonly today: number
}

/** The limit `seconds` more would break, if any. */
export const exceeded = (usage: Usage, seconds: number, limits: Limits): LimitExceeded | undefined => {
  if (usage.running >= limits.maxRunningJobs) {
    return { limit: "running_jobs", allowed: limits.maxRunningJobs, used: usage.running }
  }
  // Asking no more seconds (a retry of a failed job, charged when it was created) breaks no daily limit.
  if (seconds > 0 && usage.today + seconds > limits.secondsPerDay) {
    return { limit: "seconds_per_day", allowed: limits.secondsPerDay, used: usage.today }
  }
  return undefined
}

/** The start of the UTC day of `unixSeconds`. */
export const startOfUtcDay = (unixSeconds: number) => unixSeconds - (unixSeconds % 86_400)
