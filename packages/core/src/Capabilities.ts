/**
 * What a video model accepts, as data: clip lengths, sizes with their prices, whether a first-frame
 * image is taken, the prompt limit. Providers publish these; core never assumes a particular model.
 */
import { Schema } from "effect"

/**
 * The longest clip a model may declare, in seconds. Today's models make 4 to 25 s. With
 * `maxClipLengthChoices`, it keeps the duration solver's work small (tens of milliseconds for the most
 * awkward set and `maxSegments` clips) whatever a gateway declares.
 */
export const maxClipSeconds = 60

/** The most lengths an explicit set may list; evenly spaced lengths are better declared as a range. */
export const maxClipLengthChoices = 16

const ClipSeconds = Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(maxClipSeconds))

/** Clip lengths given as an explicit set, e.g. Sora 2's 4, 8 and 12 seconds. */
export const ClipLengthSet = Schema.TaggedStruct("ClipLengthSet", {
  seconds: Schema.NonEmptyArray(ClipSeconds).check(Schema.isMaxLength(maxClipLengthChoices))
})
export type ClipLengthSet = typeof ClipLengthSet.Type

/** Clip lengths given as an integer range, e.g. 4 to 15 seconds in steps of 1. */
export const ClipLengthRange = Schema.TaggedStruct("ClipLengthRange", {
  min: ClipSeconds,
  max: ClipSeconds,
  step: Schema.Int.check(Schema.isGreaterThan(0))
})
export type ClipLengthRange = typeof ClipLengthRange.Type

export const ClipLengths = Schema.Union([ClipLengthSet, ClipLengthRange])
export type ClipLengths = typeof ClipLengths.Type

/** One output size (`WIDTHxHEIGHT`) and what a second of video costs at that size. */
export const SizeOption = Schema.Struct({
  size: Schema.String.check(Schema.isPattern(/^\d+x\d+$/)),
  usdPerSecond: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
})
export type SizeOption = typeof SizeOption.Type

/**
 * Native extension (`chain: extend`): the provider continues a finished clip of its own and answers
 * with the stitched video. Sora 2: +4 to 20 s a step, at most 6 steps and 120 s in all.
 */
export const Extension = Schema.Struct({
  /** Lengths one extension step may add. */
  clipLengths: ClipLengths,
  /** The most extension steps after the first clip. */
  maxExtensions: Schema.Int.check(Schema.isGreaterThan(0)),
  /** The longest stitched video, in seconds. */
  maxTotalSeconds: Schema.Int.check(Schema.isGreaterThan(0)),
  /** `stitched` (default): the extension's video is the whole so far; `part`: only the new part. */
  returns: Schema.optionalKey(Schema.Literals(["stitched", "part"]))
})
export type Extension = typeof Extension.Type

export const ProviderCapabilities = Schema.Struct({
  model: Schema.NonEmptyString,
  clipLengths: ClipLengths,
  /** Allowed sizes; the first is the default. */
  sizes: Schema.NonEmptyArray(SizeOption),
  /** Whether the model takes an image for the first frame of the clip. */
  firstFrameImage: Schema.Boolean,
  /**
   * What the model does with that image: `exact`, the clip opens on it; `conditioning`, the clip only
   * resembles it (a chained seam then needs a blend, not a cut). Absent: `exact`.
   */
  firstFrame: Schema.optionalKey(Schema.Literals(["exact", "conditioning"])),
  /** Whether the model only animates an image (image-to-video): every clip needs a first-frame image. */
  imageRequired: Schema.optionalKey(Schema.Boolean),
  /** Whether the model also takes an image for the clip's last frame (needed by `chain: keyframes`). */
  lastFrameImage: Schema.optionalKey(Schema.Boolean),
  /** Whether and how the model extends its own clips (needed by `chain: extend`). */
  extension: Schema.optionalKey(Extension),
  /** Sound: `none`, `always`, or `optional` (on request). */
  audio: Schema.optionalKey(Schema.Literals(["none", "always", "optional"])),
  maxPromptLength: Schema.Int.check(Schema.isGreaterThan(0)),
  /** How many jobs the provider runs at once for one key; bounds the independent mode. */
  maxConcurrentJobs: Schema.Int.check(Schema.isGreaterThan(0)),
  /** Where each value comes from: field (`clipLengths`, `sizes`, `usdPerSecond`, …) → source. */
  sources: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type ProviderCapabilities = typeof ProviderCapabilities.Type

/**
 * Why declared clip lengths cannot be used (not whole seconds, outside 1–`maxClipSeconds`, an empty
 * range), or `undefined` when they can. Capabilities built in code skip the schema, so this is checked too.
 */
export const clipLengthsProblem = (lengths: ClipLengths): string | undefined => {
  const isClip = (s: number) => Number.isInteger(s) && s > 0 && s <= maxClipSeconds
  if (lengths._tag === "ClipLengthSet") {
    if (lengths.seconds.length === 0 || !lengths.seconds.every(isClip)) {
      return `clip lengths must be whole seconds from 1 to ${maxClipSeconds}`
    }
    return new Set(lengths.seconds).size <= maxClipLengthChoices
      ? undefined
      : `a set lists at most ${maxClipLengthChoices} lengths; declare a range MIN-MAX instead`
  }
  if (!isClip(lengths.min) || !isClip(lengths.max))
    return `clip lengths must be whole seconds from 1 to ${maxClipSeconds}`
  if (lengths.min > lengths.max)
    return `the shortest clip (${lengths.min} s) is longer than the longest (${lengths.max} s)`
  return Number.isInteger(lengths.step) && lengths.step > 0 ? undefined : "the step must be a whole number of seconds"
}

/** The clip lengths as a sorted list of distinct integers, for the solver. */
export const clipLengthValues = (lengths: ClipLengths): ReadonlyArray<number> => {
  if (lengths._tag === "ClipLengthSet") return [...new Set(lengths.seconds)].sort((a, b) => a - b)
  const values: Array<number> = []
  for (let s = lengths.min; s <= lengths.max; s += lengths.step) values.push(s)
  return values
}

export const acceptsClipLength = (lengths: ClipLengths, seconds: number): boolean =>
  lengths._tag === "ClipLengthSet"
    ? lengths.seconds.includes(seconds)
    : Number.isInteger(seconds) &&
      seconds >= lengths.min &&
      seconds <= lengths.max &&
      (seconds - lengths.min) % lengths.step === 0

/** Human wording of the allowed lengths, e.g. `4, 8 or 12 s` or `4–15 s`. */
export const describeClipLengths = (lengths: ClipLengths): string => {
  if (lengths._tag === "ClipLengthRange") {
    return lengths.step === 1
      ? `${lengths.min}–${lengths.max} s`
      : `${lengths.min}–${lengths.max} s in steps of ${lengths.step}`
  }
  return `${orList(clipLengthValues(lengths).map(String))} s`
}

export const orList = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`

/** Whether a clip opens exactly on its first-frame image (so a chained seam can be cut). */
export const opensOnImage = (capabilities: ProviderCapabilities): boolean =>
  capabilities.firstFrameImage && (capabilities.firstFrame ?? "exact") === "exact"

export const defaultSize = (capabilities: ProviderCapabilities): string => capabilities.sizes[0].size

/** Whether the model takes `prompt`: not blank, and at most its `maxPromptLength` characters. */
export const acceptsPrompt = (capabilities: ProviderCapabilities, prompt: string): boolean =>
  prompt.trim().length > 0 && prompt.length <= capabilities.maxPromptLength

/**
 * What is wrong with opening a clip on a first-frame image (`withImage`) or without one:
 * `unsupported`, the model takes none; `required`, it only animates an image; else `undefined`.
 */
export const firstFrameProblem = (
  capabilities: ProviderCapabilities,
  withImage: boolean
): "unsupported" | "required" | undefined =>
  withImage && !capabilities.firstFrameImage
    ? "unsupported"
    : !withImage && capabilities.imageRequired
      ? "required"
      : undefined

export const sizeOption = (capabilities: ProviderCapabilities, size: string): SizeOption | undefined =>
  capabilities.sizes.find((option) => option.size === size)

/** The longest side a video may have, in pixels (DCI 4K); a size beyond it is a typo, not a model's. */
export const maxSidePixels = 4096

export interface Dimensions {
  readonly width: number
  readonly height: number
}

/** `1280x720` → `{ width: 1280, height: 720 }`; `undefined` for anything else (including a zero side). */
export const parseSize = (size: string): Dimensions | undefined => {
  const match = /^(\d+)x(\d+)$/.exec(size.trim())
  if (!match) return undefined
  const width = Number(match[1])
  const height = Number(match[2])
  return width > 0 && height > 0 ? { width, height } : undefined
}
