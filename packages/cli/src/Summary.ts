/** Human-readable text for a result and for a dry run. */
import * as JobId from "@longsora/ai-sdk/JobId"
import type { LongVideo, LongVideoResult, Plan } from "@longsora/core"
import { Result } from "effect"

const planLines = (plan: Plan.Plan): ReadonlyArray<string> => [
  `brief: ${plan.brief}`,
  ...plan.segments.map((segment, i) => `  ${i + 1}. (${segment.seconds} s) ${segment.prompt}`)
]

/** Where an anchor trimmed a segment, how far one drifted, and how the audio meets at the seams. */
const seamLines = (r: LongVideoResult.LongVideoResult): ReadonlyArray<string> => [
  ...r.segments.flatMap((s) =>
    s.anchor?.trimmed
      ? [`  anchor: segment ${s.index} ends at frame ${s.anchor.frame} of ${s.anchor.frames} (${s.anchor.reason})`]
      : []
  ),
  ...r.segments.flatMap((s) =>
    s.drift ? [`  drift: segment ${s.index} ${s.drift.drift.toFixed(3)} from segment 1`] : []
  ),
  ...(r.audioSeam && r.audioSeam.seams > 0
    ? [`audio: blended over ${Math.round(r.audioSeam.seconds * 1000)} ms at ${r.audioSeam.seams} seam(s)`]
    : [])
]

export const result = (r: LongVideoResult.LongVideoResult): string =>
  [
    `output: ${r.output}`,
    `segments: ${r.durations.join(" + ")} s at ${r.size}, joined by ${r.joinMethod}`,
    ...(r.includedReference
      ? [`  opens with your clip ${r.includedReference.path} (${r.includedReference.seconds.toFixed(2)} s)`]
      : []),
    ...r.segments.map(
      (s) =>
        `  ${s.index}. ${JobId.label(s.jobId)}  ${s.path}${s.version ? ` (version ${s.version})` : ""}${s.lastFrame ? `  (last frame ${s.lastFrame})` : ""}`
    ),
    ...seamLines(r),
    ...r.replacedJobs.map(
      (job) =>
        `  replaced: segment ${job.segment}'s job ${JobId.label(job.jobId)} (${job.reason === "gone" ? "the server no longer had it" : "failed"}), ${job.seconds} s billed`
    ),
    `billed: ${r.secondsBilled} s${r.keyframesBilled ? ` + ${r.keyframesBilled} keyframe image(s)` : ""}, estimated $${r.estimatedCostUsd.toFixed(2)}`
  ].join("\n")

/** `6 images × $0.05 (gpt-image-1.5) = $0.30`, the keyframes' part of an estimate. */
const keyframeLine = (k: NonNullable<LongVideo.Preview["keyframes"]>) =>
  `keyframes: ${k.images} image(s) × $${k.usdPerImage.toFixed(3)} (${k.model}) = $${(k.images * k.usdPerImage).toFixed(2)}, included above`

export const preview = (p: LongVideo.Preview): string =>
  [
    `split: ${p.durations.join(" + ")} s (${p.durations.length} segments) at ${p.size}`,
    `estimated cost: $${p.estimatedCostUsd.toFixed(2)} ($${p.usdPerSecond.toFixed(2)}/s)`,
    ...(p.keyframes ? [keyframeLine(p.keyframes)] : []),
    `output: ${p.outputDir}/output.mp4`,
    ...(Result.isSuccess(p.plan) ? planLines(p.plan.success) : [`plan: not available (${p.plan.failure.message})`]),
    "dry run: nothing was generated or billed"
  ].join("\n")
