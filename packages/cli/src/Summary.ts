/** Human-readable text for a result and for a dry run. */
import type { LongVideo, LongVideoResult, Plan } from "@longsora/core"
import { Result } from "effect"

const planLines = (plan: Plan.Plan): ReadonlyArray<string> => [
  `brief: ${plan.brief}`,
  ...plan.segments.map((segment, i) => `  ${i + 1}. (${segment.seconds} s) ${segment.prompt}`)
]

export const result = (r: LongVideoResult.LongVideoResult): string =>
  [
    `output: ${r.output}`,
    `segments: ${r.durations.join(" + ")} s at ${r.size}, joined by ${r.joinMethod}`,
    ...r.segments.map(
      (s) => `  ${s.index}. ${s.jobId}  ${s.path}${s.lastFrame ? `  (last frame ${s.lastFrame})` : ""}`
    ),
    ...r.replacedJobs.map(
      (job) =>
        `  replaced: segment ${job.segment}'s job ${job.jobId} (${job.reason === "gone" ? "the server no longer had it" : "failed"}), ${job.seconds} s billed`
    ),
    `billed: ${r.secondsBilled} s, estimated $${r.estimatedCostUsd.toFixed(2)}`
  ].join("\n")

export const preview = (p: LongVideo.Preview): string =>
  [
    `split: ${p.durations.join(" + ")} s (${p.durations.length} segments) at ${p.size}`,
    `estimated cost: $${p.estimatedCostUsd.toFixed(2)} ($${p.usdPerSecond.toFixed(2)}/s)`,
    `output: ${p.outputDir}/output.mp4`,
    ...(Result.isSuccess(p.plan) ? planLines(p.plan.success) : [`plan: not available (${p.plan.failure.message})`]),
    "dry run: nothing was generated or billed"
  ].join("\n")
