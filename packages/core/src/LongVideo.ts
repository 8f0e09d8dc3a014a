/**
 * The orchestration program: validate → solve durations → plan → generate segments in order, each
 * from the previous segment's last frame → join. It uses only the service interfaces, so any
 * planner, provider, extractor and combiner can be plugged in through layers. Every step is recorded
 * in the run manifest, so running the same request again resumes instead of paying twice.
 */
import { Clock, Effect, FileSystem, Option, Path, type Result } from "effect"
import * as Anchor from "./Anchor.ts"
import * as AudioSeam from "./AudioSeam.ts"
import type * as Chain from "./Chain.ts"
import * as ChainExtend from "./ChainExtend.ts"
import * as ChainKeyframes from "./ChainKeyframes.ts"
import * as ChainLastFrame from "./ChainLastFrame.ts"
import { Combiner, type JoinResult } from "./Combiner.ts"
import * as Drift from "./Drift.ts"
import { OutputError, type PlannerError, RunConflict } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import * as Independent from "./Independent.ts"
import * as Leftovers from "./Leftovers.ts"
import { type LongVideoRequest, transitionFor } from "./LongVideoRequest.ts"
import { LongVideoResult, ReplacedJob, SegmentResult } from "./LongVideoResult.ts"
import * as Manifest from "./Manifest.ts"
import type { Plan } from "./Plan.ts"
import * as PlanFile from "./PlanFile.ts"
import type { Planner } from "./Planner.ts"
import * as Planning from "./Planning.ts"
import * as Progress from "./Progress.ts"
import * as ReferenceVideo from "./ReferenceVideo.ts"
import * as RunLock from "./RunLock.ts"
import type { SegmentGenerator } from "./SegmentGenerator.ts"
import * as SegmentRunner from "./SegmentRunner.ts"
import { format as formatTransition } from "./Transition.ts"
import { outputFileName, usd, type ValidatedRequest, validate } from "./Validation.ts"

/** Checks that a plan fits the solved split (kept here for existing importers; see `Planning`). */
export const checkPlan = Planning.checkPlan

export type Requirements = Planner | SegmentGenerator | FrameExtractor | Combiner | FileSystem.FileSystem | Path.Path

const outputError = (path: string, reason: string) => (cause: unknown) => new OutputError({ path, reason, cause })

const fingerprintOf = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const { request } = validated
  // By content, not path: an SDK caller's bytes land in a new temp file on every run.
  const reference = validated.reference ? yield* ReferenceVideo.sha256(validated.reference.path) : null
  const fingerprint: Manifest.RequestFingerprint = {
    prompt: request.prompt,
    model: request.model,
    durations: [...validated.durations],
    size: validated.size,
    planModel: request.planModel,
    inputReference: reference,
    ...(request.includeReference ? { includeReference: true } : {}),
    transition: formatTransition(transitionFor(request, validated.capabilities)),
    mode: request.mode ?? "chained",
    plan: request.plan ? JSON.stringify(request.plan) : null,
    // Absent for the default, so manifests written before strategies existed still match.
    ...(validated.chain === "last-frame" ? {} : { chain: validated.chain }),
    ...(request.anchor === "best" ? { anchor: "best" } : {})
  }
  return fingerprint
})

/** The earlier run's manifest when it is for the same request, a fresh one otherwise. */
const openManifest = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const fingerprint = yield* fingerprintOf(validated)
  const previous = yield* Manifest.read(validated.outputDir)
  // An earlier run that never sent a create paid for nothing: a changed request simply replaces it.
  const paidFor =
    Option.isSome(previous) &&
    (previous.value.segments.some(Manifest.sentCreate) || (previous.value.keyframes?.length ?? 0) > 0)
  if (Option.isSome(previous) && paidFor && !validated.request.restart) {
    const changed = Manifest.changedFields(previous.value.request, fingerprint)
    if (changed.length > 0) return yield* new RunConflict({ outputDir: validated.outputDir, changed })
    return yield* Manifest.make(validated.outputDir, previous.value)
  }
  if (Option.isSome(previous)) {
    // Starting over: the earlier run's clips, frames and plan would otherwise linger beside the new
    // ones. `read` has dropped every path outside the output directory, so nothing else is touched.
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const files = [
      ...Manifest.segmentFiles(previous.value),
      ...(previous.value.keyframes ?? []).map((record) => record.file),
      path.join(validated.outputDir, PlanFile.fileName)
    ]
    yield* Effect.forEach(files, (file) => (file ? fs.remove(file).pipe(Effect.ignore) : Effect.void))
  }
  return yield* Manifest.make(
    validated.outputDir,
    new Manifest.Manifest({ version: 1, request: fingerprint, plan: null, segments: [], output: null })
  )
})

export interface Preview {
  readonly durations: ReadonlyArray<number>
  readonly size: string
  readonly usdPerSecond: number
  readonly estimatedCostUsd: number
  readonly outputDir: string
  /** The plan, or why none could be made (a dry run still shows the split and the cost). */
  readonly plan: Result.Result<Plan, PlannerError>
  /** `chain: keyframes`: the keyframe images to render, their model and price (in `estimatedCostUsd`). */
  readonly keyframes?: { readonly images: number; readonly model: string; readonly usdPerImage: number } | undefined
}

/**
 * Everything a run would do before spending: validation, the split, the cost, and the plan when a
 * planner is reachable. Creates nothing and calls no provider.
 */
export const preview = Effect.fn("LongVideo.preview")(function* (request: LongVideoRequest) {
  const validated = yield* validate(request, { createOutputDir: false })
  const plan = yield* Effect.result(Planning.planFor(validated))
  const result: Preview = {
    durations: validated.durations,
    size: validated.size,
    usdPerSecond: validated.usdPerSecond,
    estimatedCostUsd: validated.estimatedCostUsd,
    outputDir: validated.outputDir,
    plan,
    ...(validated.keyframeImages && validated.images
      ? {
          keyframes: {
            images: validated.keyframeImages,
            model: validated.images.model,
            usdPerImage: validated.images.usdPerImage
          }
        }
      : {})
  }
  return result
})

const mode = (request: LongVideoRequest) => request.mode ?? "chained"

/** The strategy that makes the segments: independent, or chained by the request's `chain`. */
const runStrategy = (context: Chain.Context) => {
  if (mode(context.validated.request) === "independent") return Independent.run(context)
  switch (context.validated.chain) {
    case "extend":
      return ChainExtend.run(context)
    case "keyframes":
      return ChainKeyframes.run(context)
    case "last-frame":
      return ChainLastFrame.run(context)
  }
}

/** The provider's stitched video, copied into place (a temp name, then a rename: never half a file). */
const copyAtomically = Effect.fnUntraced(function* (source: string, destination: string) {
  const fs = yield* FileSystem.FileSystem
  const temporary = `${destination}.${process.pid}.part`
  yield* fs.copyFile(source, temporary).pipe(
    Effect.flatMap(() => fs.rename(temporary, destination)),
    Effect.mapError(outputError(destination, "could not write the output")),
    Effect.onError(() => fs.remove(temporary).pipe(Effect.ignore))
  )
  return { path: destination, seconds: 0, method: "provider" } satisfies JoinResult
})

/** Makes the long video described by `request`. Interrupting it stops all work and removes temp files. */
export const generate = Effect.fn("LongVideo.generate")(function* (request: LongVideoRequest) {
  const validated = yield* validate(request)
  const { durations, size, outputDir } = validated
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const extractor = yield* FrameExtractor
  const combiner = yield* Combiner
  // Checked before anything is written or paid for.
  const drift = yield* Drift.gate(request.maxDrift, outputDir)
  if (request.audioSeam !== "hard") yield* AudioSeam.blendSeconds(request.audioSeamSeconds)
  const drifts = new Map<number, Drift.DriftFigures>()
  const checkDrift = (segment: number, clip: string) =>
    Effect.map(drift.check(segment, clip), (figures) => void (figures && drifts.set(segment, figures)))

  // One run per directory; what killed runs left there goes before anything new is written.
  yield* RunLock.acquireUnlessHeld(outputDir)
  yield* Leftovers.remove(outputDir)
  const store = yield* openManifest(validated)
  yield* Progress.emit({ _tag: "Started", durations, size, estimatedCostUsd: validated.estimatedCostUsd })

  const stateDir = path.join(outputDir, Manifest.directoryName)
  const segmentsDir = request.saveSegments ? path.join(outputDir, "segments") : path.join(stateDir, "segments")
  yield* fs
    .makeDirectory(segmentsDir, { recursive: true })
    .pipe(Effect.mapError(outputError(segmentsDir, "could not create the segments directory")))
  const workDir = yield* fs
    .makeTempDirectoryScoped({ directory: stateDir, prefix: "work-" })
    .pipe(Effect.mapError(outputError(stateDir, "could not create a working directory")))

  // Segment 1 opens on the user's image, or continues their video from its exact last frame.
  const reference = validated.reference
  const referenceFrame = { size, destination: path.join(workDir, "reference.png") }
  const firstReference = reference
    ? yield* reference.video
        ? extractor.lastFrame(reference.path, referenceFrame)
        : extractor.fitImage(reference.path, referenceFrame)
    : undefined

  const segments = yield* SegmentRunner.make(validated, store, segmentsDir, {
    retryFailed: request.retryFailed ?? 0,
    planFile: path.join(outputDir, PlanFile.fileName)
  })
  const transition = transitionFor(request, validated.capabilities)
  const destination = path.join(outputDir, outputFileName)
  // With `includeReference` the output opens with the user's clip, made ready only at the join.
  const leadsWithReference = Boolean(request.includeReference && reference?.video)
  const prepareAudio = (files: ReadonlyArray<string>) =>
    leadsWithReference
      ? Effect.void
      : AudioSeam.prepare(request.audioSeam, request.audioSeamSeconds, {
          output: destination,
          segments: files,
          transition
        })
  const context: Chain.Context = {
    validated,
    store,
    segments,
    plan: Planning.make(validated, store),
    firstReference: firstReference?.path,
    // Segment 1 needs only the user's prompt (or a given plan's), so it can render while planning.
    firstPrompt: request.plan ? request.plan.segments[0].prompt : request.prompt,
    // Segment 1's prompt is the user's; the others are the planner's unless the user gave the plan.
    promptBy: (segment) => (segment === 1 || request.plan ? "user" : "planner"),
    transition,
    segmentsDir,
    workDir,
    // With `maxDrift`: a segment a later one follows is measured before that one is paid for.
    checkDrift,
    prepareAudio
  }
  const segmentsStarted = yield* Clock.currentTimeMillis
  const chained: Chain.Chained = yield* runStrategy(context)
  const { plan } = chained
  const generated = [...chained.outcomes]
  const count = generated.length
  const joinStarted = yield* Clock.currentTimeMillis
  yield* Progress.emit({ _tag: "PhaseTimed", phase: "segments", ms: joinStarted - segmentsStarted })

  const finalFrame = (() => {
    const last = generated[count - 1]!
    return validated.chain === "last-frame" && mode(request) === "chained" && request.saveSegments && !last.lastFrame
      ? Effect.map(segments.lastFrameOf(count, last.clip), (lastFrame) => {
          generated[count - 1] = { ...last, lastFrame }
        })
      : Effect.void
  })()
  // A segment trimmed after its anchor frame joins as its trimmed copy, so the seam stays exact.
  const joinedFiles = generated.map(({ clip, anchor }) => Anchor.joinedFile(clip.path, anchor))
  // With `includeReference` the user's clip opens the output, in the segments' format; its last frame is
  // segment 1's first, so the seam between them is like any other.
  const lead =
    leadsWithReference && reference
      ? yield* combiner.conform(reference.path, joinedFiles[0]!, path.join(workDir, "reference.mp4"))
      : undefined
  const outputFiles = lead ? [lead.path, ...joinedFiles] : joinedFiles
  const [joined] = yield* Effect.all(
    [
      chained.stitched !== undefined
        ? copyAtomically(chained.stitched, destination)
        : combiner.join({ segments: outputFiles, destination, transition }),
      finalFrame,
      // The last segment's share of the audio blend, beside the join (the blend itself needs the joined file).
      chained.stitched === undefined ? prepareAudio(outputFiles) : Effect.void
    ],
    { concurrency: 3 }
  )
  const audioSeam =
    chained.stitched !== undefined
      ? undefined
      : yield* AudioSeam.apply(request.audioSeam, request.audioSeamSeconds, {
          output: joined.path,
          segments: outputFiles,
          transition
        })
  const versionOf = (segment: number, manifest: Manifest.Manifest) => Manifest.currentVersion(manifest, segment)
  const recorded = yield* store.update(
    (manifest) =>
      new Manifest.Manifest({
        ...manifest,
        output: joined.path,
        outputSegments: joinedFiles.map((file, i) => ({ segment: i + 1, version: versionOf(i + 1, manifest), file })),
        ...(lead ? { includedReference: { seconds: lead.seconds } } : {})
      })
  )
  yield* Progress.emit({ _tag: "PhaseTimed", phase: "join", ms: (yield* Clock.currentTimeMillis) - joinStarted })
  yield* Progress.emit({ _tag: "Joined", path: joined.path, method: joined.method })
  if (!request.saveSegments) {
    yield* fs.remove(segmentsDir, { recursive: true }).pipe(Effect.ignore)
  }

  const replacedJobs = (yield* segments.replacedJobs).map(
    ({ segment, jobId, reason, seconds }) => new ReplacedJob({ segment, jobId, reason, seconds })
  )
  const secondsBilled =
    generated.reduce((sum, { clip }) => sum + clip.seconds, 0) + replacedJobs.reduce((sum, job) => sum + job.seconds, 0)
  const imagesBilled = chained.keyframesBilled ?? 0
  return new LongVideoResult({
    output: joined.path,
    durations: [...durations],
    size,
    plan,
    segments: generated.map(
      ({ clip, prompt, lastFrame }, i) =>
        new SegmentResult({
          index: i + 1,
          jobId: clip.jobId,
          prompt,
          seconds: clip.seconds,
          path: clip.path,
          ...(lastFrame ? { lastFrame: lastFrame.path } : {}),
          referenceCropped:
            i === 0
              ? (firstReference?.cropped ?? false)
              : mode(request) === "chained" && (generated[i - 1]!.lastFrame?.cropped ?? false),
          ...(generated[i]!.anchor ? { anchor: generated[i]!.anchor } : {}),
          ...(drifts.has(i + 1) ? { drift: drifts.get(i + 1)! } : {}),
          ...(versionOf(i + 1, recorded) > 1 ? { version: versionOf(i + 1, recorded) } : {})
        })
    ),
    jobIds: generated.map(({ clip }) => clip.jobId),
    replacedJobs,
    secondsBilled,
    ...(chained.keyframesBilled === undefined ? {} : { keyframesBilled: imagesBilled }),
    estimatedCostUsd: usd(secondsBilled * validated.usdPerSecond + imagesBilled * (validated.images?.usdPerImage ?? 0)),
    joinMethod: joined.method,
    ...(lead && reference ? { includedReference: { path: reference.path, seconds: lead.seconds } } : {}),
    ...(audioSeam ? { audioSeam } : {})
  })
}, Effect.scoped)
