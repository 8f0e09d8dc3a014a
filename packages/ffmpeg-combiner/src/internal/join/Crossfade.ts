/**
 * The `Crossfade` transition: copies between re-encoded fade windows when the segments allow it
 * (`CrossfadeWindows`), audio crossfaded whole; else everything re-encoded through one filter graph.
 */
import { writeFile } from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect } from "effect"
import * as CrossfadeWindows from "../../CrossfadeWindows.ts"
import { aacOutput, crossfadeGraph, segmentPlans, targetOf } from "../filters.ts"
import { finalOutput, inputs, type JoinContext, type Strategy, x264Output } from "./JoinContext.ts"

/** `false` when the segments do not allow the windowed crossfade or its output does not check out. */
const byWindows = Effect.fnUntraced(function* (context: JoinContext, seconds: number) {
  const { ffmpeg, prober, segments, workDir, output } = context
  const keyframes = yield* CrossfadeWindows.keyframesOf(segments)
  const plan = keyframes ? CrossfadeWindows.planWindows(segments, keyframes, seconds) : "a segment is not an MP4"
  if (!keyframes || typeof plan === "string") {
    yield* Effect.logDebug(`crossfade re-encodes everything: ${plan}`)
    return false
  }
  const target = targetOf(segments)
  const audio = NodePath.join(workDir, "crossfade-audio.m4a")
  const list = NodePath.join(workDir, "crossfade.ffconcat")
  const [entries] = yield* Effect.all(
    [
      CrossfadeWindows.prepareVideo(segments, keyframes, plan, workDir),
      ffmpeg([
        ...inputs(segments),
        ...["-filter_complex", crossfadeGraph(segmentPlans(segments, target, false), target, seconds, false)],
        ...["-map", "[a]", ...aacOutput(target), "-f", "mp4", audio]
      ])
    ],
    { concurrency: 2 }
  )
  yield* Effect.promise(() => writeFile(list, entries))
  yield* ffmpeg([
    ...["-f", "concat", "-safe", "0", "-i", list, "-i", audio],
    ...["-map", "0:v:0", "-map", "1:a:0", "-c", "copy"],
    ...finalOutput(output)
  ])
  const expected = CrossfadeWindows.outputFrames(segments, plan)
  const video = (yield* prober.probe(output, { countPackets: false })).video
  const fps = segments[0]!.video!.fps
  if (video?.frames === expected && Math.abs(video.duration - expected / fps) < 0.5 / fps) return true
  yield* Effect.logWarning(
    `windowed crossfade produced ${video?.frames} frames / ${video?.duration} s, expected ${expected}: re-encoding`
  )
  return false
})

export const join: Strategy = Effect.fnUntraced(function* (context) {
  const { ffmpeg, segments, transition, output } = context
  const seconds = transition._tag === "Crossfade" ? transition.seconds : 0
  const target = targetOf(segments)
  const plans = segmentPlans(segments, target, false)
  const shortest = Math.min(...plans.map((p) => p.frames / target.fps))
  if (segments.length > 1 && seconds >= shortest) {
    return yield* Effect.fail(
      `a ${seconds} s crossfade needs segments longer than that (shortest: ${shortest.toFixed(3)} s)`
    )
  }
  if (segments.length > 1 && (yield* byWindows(context, seconds))) return "crossfade" as const
  yield* ffmpeg([
    ...inputs(segments),
    ...["-filter_complex", crossfadeGraph(plans, target, seconds), "-map", "[v]", "-map", "[a]"],
    ...["-r", target.frameRate, ...x264Output, ...aacOutput(target)],
    ...finalOutput(output)
  ])
  return "crossfade" as const
})
