/**
 * Which frame of a chained segment the next one starts from. `last` (the default) takes the clip's
 * last frame. `best` scores the clip's final second (sharpness, exposure, and a fade or freeze against
 * the frames before it) and picks the best frame; the segment is then trimmed right after that frame
 * (a copy beside the clip; the paid-for clip is kept as it is), so the seam stays exact: the join
 * uses the trimmed copy, and the next segment opens on the chosen frame.
 */
import { Context, Effect, Option, Schema } from "effect"
import { FrameError } from "./Errors.ts"
import { type FittedImage, FrameExtractor } from "./FrameExtractor.ts"

export const AnchorMode = Schema.Literals(["last", "best"])
export type AnchorMode = typeof AnchorMode.Type

/** What `best` chose for one segment, as the manifest and the result record it. */
export const AnchorChoice = Schema.Struct({
  /** 0-based index of the chosen frame in the clip. */
  frame: Schema.Int,
  /** Frames the clip has; `frame === frames - 1` means the last frame was best (nothing trimmed). */
  frames: Schema.Int,
  /** The segment's length once trimmed after the chosen frame, in seconds. */
  seconds: Schema.Finite,
  /** Why: the chosen frame's score, and what was wrong with the frames after it. */
  reason: Schema.String,
  /** The trimmed copy the join uses, when frames were dropped. */
  trimmed: Schema.optionalKey(Schema.String)
})
export type AnchorChoice = typeof AnchorChoice.Type

export interface PickOptions {
  /** `WIDTHxHEIGHT` the anchor image must have. */
  readonly size: string
  /** Where the anchor image goes. */
  readonly destination: string
  /** Where the trimmed copy goes, if the chosen frame is not the last. */
  readonly trimmedDestination: string
}

export interface Picked {
  readonly image: FittedImage
  readonly choice: AnchorChoice
}

/** Chooses a clip's anchor frame; the cost stays flat in the clip's length (only its tail is decoded). */
export class AnchorPicker extends Context.Service<
  AnchorPicker,
  { readonly pick: (video: string, options: PickOptions) => Effect.Effect<Picked, FrameError> }
>()("@longsora/core/AnchorPicker") {}

/** The file the join uses for a segment: its trimmed copy when the anchor dropped frames, else the clip. */
export const joinedFile = (clip: string, choice: AnchorChoice | undefined): string => choice?.trimmed ?? clip

/**
 * The image the next segment starts from: the last frame (`last`), or the picker's choice (`best`),
 * which needs an `AnchorPicker` in the context (ffmpeg-combiner's `FfmpegServices` provides one).
 */
export const choose = Effect.fnUntraced(function* (mode: AnchorMode, video: string, options: PickOptions) {
  if (mode === "last") {
    const image = yield* (yield* FrameExtractor).lastFrame(video, options)
    return { image, choice: undefined }
  }
  const picker = yield* Effect.serviceOption(AnchorPicker)
  if (Option.isNone(picker)) {
    return yield* new FrameError({
      path: video,
      reason: "anchor `best` needs an AnchorPicker service (provided by @longsora/ffmpeg-combiner's FfmpegServices)"
    })
  }
  const picked: Picked = yield* picker.value.pick(video, options)
  return { image: picked.image, choice: picked.choice as AnchorChoice | undefined }
})
