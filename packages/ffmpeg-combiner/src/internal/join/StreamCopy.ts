/**
 * The stream copy through ffmpeg's concat demuxer (`KeepDuplicate`, or one segment), for segments whose headers
 * the in-process copy did not take. Its output is checked against the plan and re-encoded when it does not match.
 */
import { Effect } from "effect"
import { checksOut, type JoinContext, muxCopy, outputSeconds, type Strategy } from "./JoinContext.ts"
import * as Reencode from "./Reencode.ts"

const entry = (segment: JoinContext["segments"][number]) => ({
  file: segment.path,
  inpoint: segment.video!.startTime,
  duration: segment.video!.duration
})

export const join: Strategy = Effect.fnUntraced(function* (context) {
  const { segments, transition } = context
  yield* muxCopy(context, segments.map(entry), false)
  const frames = segments.reduce((sum, s) => sum + s.video!.frames, 0)
  if (yield* checksOut(context, "copy", frames, outputSeconds(segments, "copy", transition))) return "copy" as const
  return yield* Reencode.join(context)
})
