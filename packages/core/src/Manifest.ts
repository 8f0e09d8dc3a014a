/**
 * The run's record in `outputDir/.longsora/manifest.json`: what was asked, the plan, and per segment
 * the job id, state, file size and checksum, and last frame. It is rewritten atomically after every
 * step, so a run that crashed or was interrupted can be resumed without paying for anything twice.
 */
import { Effect, FileSystem, Option, Path, Schema, Semaphore } from "effect"
import { AnchorChoice } from "./Anchor.ts"
import { OutputError } from "./Errors.ts"
import { Plan } from "./Plan.ts"

export const directoryName = ".longsora"
export const fileName = "manifest.json"

/** The request fields that decide what gets generated; a resumed run must match them exactly. */
export const RequestFingerprint = Schema.Struct({
  prompt: Schema.String,
  model: Schema.String,
  durations: Schema.Array(Schema.Int),
  size: Schema.String,
  planModel: Schema.String,
  /** SHA-256 of the reference's bytes (an image or a video), if there is one. */
  inputReference: Schema.NullOr(Schema.String),
  /** `true` when the output opens with the reference video (absent otherwise, as in older manifests). */
  includeReference: Schema.optionalKey(Schema.Boolean),
  transition: Schema.String,
  mode: Schema.String,
  /** The plan given by the user, if any, as JSON. */
  plan: Schema.NullOr(Schema.String),
  /** How segments continue each other, when not the default `last-frame` (older manifests lack it). */
  chain: Schema.optionalKey(Schema.String),
  /** `best` when anchor frames are chosen (absent: the last frame, as before). */
  anchor: Schema.optionalKey(Schema.String)
})
export type RequestFingerprint = typeof RequestFingerprint.Type

/** A job given up on and replaced by a new create: paid for, and why it was not used. */
export const ReplacedJob = Schema.Struct({
  jobId: Schema.String,
  /** `failed`: the job ended failed (or moderated); `gone`: the server no longer knows it. */
  reason: Schema.Literals(["failed", "gone"]),
  detail: Schema.String,
  seconds: Schema.Int,
  /** When it was replaced (epoch ms). */
  at: Schema.Finite
})
export type ReplacedJob = typeof ReplacedJob.Type

/** An earlier version of a segment, kept when the segment was made again (`longsora regenerate`). */
export const SegmentVersion = Schema.Struct({
  segment: Schema.Int,
  version: Schema.Int,
  jobId: Schema.String,
  seconds: Schema.Int,
  /** The clip, renamed `segment_NN.vK.mp4`. */
  file: Schema.optionalKey(Schema.String),
  sha256: Schema.optionalKey(Schema.String),
  prompt: Schema.optionalKey(Schema.String),
  /** When it was set aside (epoch ms). */
  at: Schema.Finite
})
export type SegmentVersion = typeof SegmentVersion.Type

export const SegmentRecord = Schema.Struct({
  segment: Schema.Int,
  /**
   * `submitting`: a create was sent at `submittedAt` and its answer not yet recorded; `failed`: the
   * job ended failed, and the next run creates the segment again (the job moves to `replaced`, and
   * until the new create is sent the record is `failed` without a job id).
   */
  state: Schema.Literals(["submitting", "submitted", "completed", "failed"]),
  submittedAt: Schema.Finite,
  jobId: Schema.optionalKey(Schema.String),
  seconds: Schema.Int,
  file: Schema.optionalKey(Schema.String),
  bytes: Schema.optionalKey(Schema.Int),
  sha256: Schema.optionalKey(Schema.String),
  lastFrame: Schema.optionalKey(Schema.String),
  /** Why the job failed, for a `failed` record. */
  failure: Schema.optionalKey(Schema.Struct({ kind: Schema.String, reason: Schema.String })),
  /** Earlier jobs of this segment that were paid for and replaced, oldest first. */
  replaced: Schema.optionalKey(Schema.Array(ReplacedJob)),
  /** With `anchor: best`: the frame the next segment starts from, and the trimmed copy the join uses. */
  anchor: Schema.optionalKey(AnchorChoice)
})
export type SegmentRecord = typeof SegmentRecord.Type

/**
 * A keyframe image of `chain: keyframes`: `requested` when its (billed, synchronous) call was sent,
 * `completed` with its file once written, `refused` when the image model refused it (nothing
 * billed). A `requested` one found by a rerun was lost with its answer: it is requested again, and
 * that is billed again.
 */
export const KeyframeRecord = Schema.Struct({
  index: Schema.Int,
  state: Schema.Literals(["requested", "completed", "refused"]),
  requestedAt: Schema.Finite,
  file: Schema.optionalKey(Schema.String),
  /** Images paid for this keyframe whose answers were lost (each billed). */
  lost: Schema.optionalKey(Schema.Int),
  /** The image model asked (`gpt-image-1.5`, `google:gemini-2.5-flash-image`, …), so a regenerate uses it again. */
  model: Schema.optionalKey(Schema.String)
})
export type KeyframeRecord = typeof KeyframeRecord.Type

export class Manifest extends Schema.Class<Manifest>("@longsora/core/Manifest")({
  version: Schema.Literal(1),
  request: RequestFingerprint,
  plan: Schema.NullOr(Plan),
  segments: Schema.Array(SegmentRecord),
  keyframes: Schema.optionalKey(Schema.Array(KeyframeRecord)),
  output: Schema.NullOr(Schema.String),
  /** A `regenerate` under way: these segments are being made again (cleared once the output is joined). */
  regenerating: Schema.optionalKey(Schema.Struct({ segment: Schema.Int, segments: Schema.Array(Schema.Int) })),
  /** Earlier versions of segments, set aside by `regenerate`, oldest first: paid for, so never deleted. */
  versions: Schema.optionalKey(Schema.Array(SegmentVersion)),
  /** Which version of each segment, and which file, `output` was joined from. */
  outputSegments: Schema.optionalKey(
    Schema.Array(Schema.Struct({ segment: Schema.Int, version: Schema.Int, file: Schema.String }))
  ),
  /** With `includeReference`: the user's clip opens `output`, lasting `seconds` there (before segment 1). */
  includedReference: Schema.optionalKey(Schema.Struct({ seconds: Schema.Finite }))
}) {}

/** The version number of segment `segment`'s current clip: 1 plus the versions set aside. */
export const currentVersion = (manifest: Manifest, segment: number): number =>
  1 + (manifest.versions ?? []).filter((version) => version.segment === segment).length

const ManifestJson = Schema.fromJsonString(Manifest)
const decode = Schema.decodeUnknownEffect(ManifestJson)
const encode = Schema.encodeEffect(ManifestJson)

/** The fields of `current` that differ from `previous`, for a message that says what changed. */
export const changedFields = (previous: RequestFingerprint, current: RequestFingerprint): ReadonlyArray<string> =>
  (Object.keys(current) as Array<keyof RequestFingerprint>).filter(
    (key) => JSON.stringify(previous[key]) !== JSON.stringify(current[key])
  )

export interface Store {
  readonly path: string
  readonly get: Effect.Effect<Manifest>
  /** Applies `f` and writes the result atomically; updates from concurrent fibers are serialised. */
  readonly update: (f: (manifest: Manifest) => Manifest) => Effect.Effect<Manifest, OutputError>
}

/** Reads the manifest in `outputDir`, if there is a readable one. */
export const read = Effect.fnUntraced(function* (outputDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.join(outputDir, directoryName, fileName)
  const text = yield* fs.readFileString(file).pipe(Effect.option)
  if (Option.isNone(text)) return Option.none<Manifest>()
  return yield* decode(text.value).pipe(
    Effect.map((manifest) => Option.some(confine(manifest, path.resolve(outputDir), path))),
    Effect.mapError(
      (cause) =>
        new OutputError({
          path: file,
          reason: "the run manifest is unreadable; delete it, or start over with `restart`",
          cause
        })
    )
  )
})

/** Whether `file` lies inside `directory` (both resolved; `directory` itself does not count). */
export const isInside = (file: string, directory: string, path: Path.Path): boolean => {
  const relative = path.relative(directory, path.resolve(directory, file))
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)
}

/**
 * The manifest with every path that points outside `outputDir` dropped. The file is input from disk
 * that anyone may have edited: a run only ever reads, reuses or deletes files in its own directory.
 */
export const confine = (manifest: Manifest, outputDir: string, path: Path.Path): Manifest => {
  const inside = (file: string | undefined) => file !== undefined && isInside(file, outputDir, path)
  return new Manifest({
    ...manifest,
    ...(manifest.keyframes
      ? {
          keyframes: manifest.keyframes.map(({ file, ...record }) => ({
            ...record,
            ...(inside(file) ? { file: file! } : {})
          }))
        }
      : {}),
    segments: manifest.segments.map(({ file, lastFrame, bytes, sha256, anchor, ...record }) => ({
      ...record,
      ...(inside(file)
        ? { file: file!, ...(bytes === undefined ? {} : { bytes }), ...(sha256 ? { sha256 } : {}) }
        : {}),
      ...(inside(lastFrame) ? { lastFrame: lastFrame! } : {}),
      ...(anchor ? { anchor: confineAnchor(anchor, inside) } : {})
    })),
    ...(manifest.versions
      ? {
          versions: manifest.versions.map(({ file, ...version }) => ({
            ...version,
            ...(inside(file) ? { file: file! } : {})
          }))
        }
      : {}),
    output: inside(manifest.output ?? undefined) ? manifest.output : null
  })
}

const confineAnchor = (anchor: AnchorChoice, inside: (file: string | undefined) => boolean): AnchorChoice => {
  const { trimmed, ...rest } = anchor
  return inside(trimmed) ? { ...rest, trimmed: trimmed! } : rest
}

/**
 * Each piece's length in the output, in order: the included reference clip (with `includeReference`),
 * then every segment as made, or as trimmed after its anchor frame.
 */
export const outputDurations = (manifest: Manifest): ReadonlyArray<number> => [
  ...(manifest.includedReference ? [manifest.includedReference.seconds] : []),
  ...manifest.request.durations.map((seconds, i) => {
    const anchor = segmentRecord(manifest, i + 1)?.anchor
    return anchor?.trimmed ? anchor.seconds : seconds
  })
]

/** Every file the manifest names for its segments: clips, last frames, trimmed copies and earlier versions. */
export const segmentFiles = (manifest: Manifest): ReadonlyArray<string> =>
  [
    ...manifest.segments.flatMap((record) => [record.file, record.lastFrame, record.anchor?.trimmed]),
    ...(manifest.versions ?? []).map((version) => version.file)
  ].filter((file): file is string => file !== undefined)

/** A store that starts from `initial` and writes it at once. */
export const make = Effect.fnUntraced(function* (outputDir: string, initial: Manifest) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const directory = path.join(outputDir, directoryName)
  const file = path.join(directory, fileName)
  const temporary = `${file}.tmp`
  const lock = yield* Semaphore.make(1)
  let current = initial
  const write = (manifest: Manifest) =>
    Effect.gen(function* () {
      const text = yield* encode(manifest).pipe(Effect.orDie)
      yield* fs.makeDirectory(directory, { recursive: true })
      yield* fs.writeFileString(temporary, text)
      yield* fs.rename(temporary, file)
    }).pipe(
      Effect.mapError((cause) => new OutputError({ path: file, reason: "could not write the run manifest", cause }))
    )
  const store: Store = {
    path: file,
    get: Effect.sync(() => current),
    update: (f) =>
      lock.withPermit(
        Effect.suspend(() => {
          const next = f(current)
          return write(next).pipe(
            Effect.map(() => {
              current = next
              return next
            })
          )
        })
      )
  }
  yield* store.update((manifest) => manifest)
  return store
})

/** Replaces (or adds) the record of one segment. */
export const setSegment =
  (record: SegmentRecord) =>
  (manifest: Manifest): Manifest =>
    new Manifest({
      ...manifest,
      segments: [...manifest.segments.filter((s) => s.segment !== record.segment), record].sort(
        (a, b) => a.segment - b.segment
      )
    })

/** Whether a create was ever sent for the segment (so a job may exist and be billed). */
export const sentCreate = (record: SegmentRecord): boolean =>
  record.jobId !== undefined || record.state === "submitting" || (record.replaced?.length ?? 0) > 0

/** Replaces (or adds) the record of one keyframe. */
export const setKeyframe =
  (record: KeyframeRecord) =>
  (manifest: Manifest): Manifest =>
    new Manifest({
      ...manifest,
      keyframes: [...(manifest.keyframes ?? []).filter((k) => k.index !== record.index), record].sort(
        (a, b) => a.index - b.index
      )
    })

export const keyframeRecord = (manifest: Manifest, index: number): KeyframeRecord | undefined =>
  manifest.keyframes?.find((record) => record.index === index)

/** The image model that made the run's keyframes (the latest one recorded), if it made any. */
export const keyframeModel = (manifest: Manifest): string | undefined =>
  (manifest.keyframes ?? [])
    .flatMap((record) => (record.model ? [record] : []))
    .sort((a, b) => a.requestedAt - b.requestedAt)
    .at(-1)?.model

export const segmentRecord = (manifest: Manifest, segment: number): SegmentRecord | undefined =>
  manifest.segments.find((record) => record.segment === segment)
