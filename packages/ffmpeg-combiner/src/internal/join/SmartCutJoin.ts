/**
 * The `Cut` seam for segments that share codec parameters: each later segment's head (frames 1 up to its first
 * IDR) re-encoded, its tail copied. Written in-process when the headers allow it (checked sample by sample while
 * planned: nothing to probe), else muxed by ffmpeg's concat demuxer and checked against the plan.
 */
import { Effect } from "effect"
import * as SmartCut from "../../SmartCut.ts"
import { readSmartCut, writeJoin } from "../mp4/index.ts"
import { checksOut, muxCopy, outputSeconds, type Strategy } from "./JoinContext.ts"
import * as Reencode from "./Reencode.ts"

export const join: Strategy = Effect.fnUntraced(function* (context) {
  const { segments, movies, preparation, transition, output } = context
  // Seams are independent: encode them two at a time (ffmpeg start-up dominates short heads).
  const heads = yield* Effect.forEach(segments.slice(1), preparation.head, { concurrency: 2 })
  const plan = typeof movies === "string" ? movies : yield* Effect.promise(() => readSmartCut(movies, heads))
  if (typeof plan !== "string") {
    yield* Effect.tryPromise(() => writeJoin(plan, output))
    return "smart-cut" as const
  }
  yield* Effect.logDebug(`smart cut muxed by ffmpeg: ${plan}`)
  yield* muxCopy(context, SmartCut.videoEntries(segments, heads), true)
  const frames = segments.reduce((sum, s) => sum + s.video!.frames, 0) - (segments.length - 1)
  const seconds = outputSeconds(segments, "smart-cut", transition)
  if (yield* checksOut(context, "smart-cut", frames, seconds)) return "smart-cut" as const
  return yield* Reencode.join(context)
})
