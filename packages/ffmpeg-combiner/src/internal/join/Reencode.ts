/** The join that always works: every segment decoded, trimmed to its plan and encoded again with libx264. */
import { Effect } from "effect"
import { aacOutput, concatGraph, segmentPlans, targetOf } from "../filters.ts"
import { dropsSeams, finalOutput, inputs, type JoinContext, type Strategy, x264Output } from "./JoinContext.ts"

/** Re-encodes every segment into the output (a `Cut` seam drops each later segment's first frame). */
export const encode = ({ ffmpeg, segments, transition, output }: JoinContext) => {
  const target = targetOf(segments)
  const plans = segmentPlans(segments, target, dropsSeams(transition))
  return ffmpeg([
    ...inputs(segments),
    ...["-filter_complex", concatGraph(plans, target), "-map", "[v]", "-map", "[a]"],
    ...["-r", target.frameRate, ...x264Output, ...aacOutput(target)],
    ...finalOutput(output)
  ])
}

export const join: Strategy = (context) => Effect.as(encode(context), "reencode" as const)
