/**
 * The orchestration program: validate → solve durations → plan → generate segments in order, each
 * from the previous segment's last frame → join. It uses only the service interfaces, so any
 * planner, provider, extractor and combiner can be plugged in through layers. Every step is recorded
 * in the run manifest, so running the same request again resumes instead of paying twice.
 */
import { Effect, FileSystem, Option, Path, type Result, Semaphore } from "effect"
import { Digest } from "effect/crypto"
import * as Anchor from "./Anchor.ts"
import * as AudioSeam from "./AudioSeam.ts"
import { Combiner } from "./Combiner.ts"
import * as Drift from "./Drift.ts"
import { OutputError, PlannerError, RunConflict } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import * as Leftovers from "./Leftovers.ts"
import { type LongVideoRequest, transitionFor } from "./LongVideoRequest.ts"
import { LongVideoResult, ReplacedJob, SegmentResult } from "./LongVideoResult.ts"
import * as Manifest from "./Manifest.ts"
import { Plan, PlannedSegment } from "./Plan.ts"
import * as PlanFile from "./PlanFile.ts"
import { Planner } from "./Planner.ts"
import * as Progress from "./Progress.ts"
import * as RunLock from "./RunLock.ts"
import type { SegmentGenerator } from "./SegmentGenerator.ts"
import * as SegmentRunner from "./SegmentRunner.ts"
import { format as formatTransition } from "./Transition.ts"
import { usd, type ValidatedRequest, validate } from "./Validation.ts"

export type Requirements = Planner | SegmentGenerator | FrameExtractor | Combiner | FileSystem.FileSystem | Path.Path

/** Checks that a plan fits the solved split; planners are external code, so trust nothing. */
export const checkPlan = (plan: Plan, durations: ReadonlyArray<number>): Effect.Effect<Plan, PlannerError> => {
  if (plan.segments.length !== durations.length) {
    return Effect.fail(
      new PlannerError({ reason: `the plan has ${plan.segments.length} segments, expected ${durations.length}` })
    )
  }
  const mismatch = plan.segments.findIndex((segment, i) => segment.seconds !== durations[i])
  if (mismatch >= 0) {
    return Effect.fail(
      new PlannerError({
        reason: `segment ${mismatch + 1} of the plan lasts ${plan.segments[mismatch]!.seconds} s, expected ${durations[mismatch]} s`
      })
    )
  }
  return Effect.succeed(plan)
}

const outputError = (path: string, reason: string) => (cause: unknown) => new OutputError({ path, reason, cause })

const fingerprintOf = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const { request } = validated
  const fs = yield* FileSystem.FileSystem
  // By content, not path: an SDK caller's image bytes land in a new temp file on every run.
  const reference = validated.reference
    ? yield* fs.readFile(validated.reference.path).pipe(
        Effect.mapError(outputError(validated.reference.path, "could not read the reference image")),
        Effect.flatMap((bytes) => Digest.Digest.use((digest) => digest.digestHex(Digest.sha256, bytes))),
        Effect.map((hex) => `sha256:${hex}`),
        Effect.provide(Digest.layerWebCrypto)
      )
    : null
  const fingerprint: Manifest.RequestFingerprint = {
    prompt: request.prompt,
    model: request.model,
    durations: [...validated.durations],
    size: validated.size,
    planModel: request.planModel,
    inputReference: reference,
    transition: formatTransition(transitionFor(request, validated.capabilities)),
    mode: request.mode ?? "chained",
    plan: request.plan ? JSON.stringify(request.plan) : null,
    ...(request.anchor === "best" ? { anchor: "best" } : {})
  }
  return fingerprint
})

/** The earlier run's manifest when it is for the same request, a fresh one otherwise. */
const openManifest = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const fingerprint = yield* fingerprintOf(validated)
  const previous = yield* Manifest.read(validated.outputDir)
  // An earlier run that never sent a create paid for nothing: a changed request simply replaces it.
  const paidFor = Option.isSome(previous) && previous.value.segments.some(Manifest.sentCreate)
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
    const files = [...Manifest.segmentFiles(previous.value), path.join(validated.outputDir, PlanFile.fileName)]
    yield* Effect.forEach(files, (file) => (file ? fs.remove(file).pipe(Effect.ignore) : Effect.void))
  }
  return yield* Manifest.make(
    validated.outputDir,
    new Manifest.Manifest({ version: 1, request: fingerprint, plan: null, segments: [], output: null })
  )
})

/** A plan for the validated request: the given one, or the planner's with segment 1 the user's prompt. */
const planFor = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const { request, durations, capabilities } = validated
  if (request.plan) return yield* checkPlan(request.plan, durations)
  const plan = yield* (yield* Planner).plan({
    prompt: request.prompt,
    durations,
    planModel: request.planModel,
    videoModel: capabilities.model,
    maxPromptLength: capabilities.maxPromptLength,
    hasReference: validated.reference !== undefined
  })
  const checked = yield* checkPlan(plan, durations)
  // Segment 1 is the user's own prompt, as in the original client; the plan records that.
  const [first, ...rest] = checked.segments
  return new Plan({
    brief: checked.brief,
    segments: [new PlannedSegment({ prompt: request.prompt, seconds: first.seconds }), ...rest]
  })
})

/**
 * The plan with the user's edits of the run's `plan.json` taken in: prompts may change for segments
 * not yet made (a refused prompt, a better idea); lengths, count and finished segments may not.
 */
const withEdits = Effect.fnUntraced(function* (plan: Plan, planFile: string, store: Manifest.Store) {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* fs.exists(planFile).pipe(Effect.orElseSucceed(() => false)))) return plan
  const edited = yield* PlanFile.read(planFile)
  const refuse = (reason: string) => new PlanFile.PlanFileError({ path: planFile, reason })
  const lengths = (p: Plan) => p.segments.map((segment) => segment.seconds).join(",")
  if (lengths(edited) !== lengths(plan)) {
    return yield* refuse(
      `its segments last ${lengths(edited)} s but this run's split is ${lengths(plan)} s; only prompts can be edited`
    )
  }
  const manifest = yield* store.get
  const changed = edited.segments.flatMap((segment, i) => (segment.prompt === plan.segments[i]!.prompt ? [] : [i + 1]))
  const made = changed.filter((segment) => Manifest.segmentRecord(manifest, segment)?.state === "completed")
  if (made.length > 0) {
    return yield* refuse(
      `segment ${made.join(", ")} is already made, so its prompt can no longer change; restore it, or start over with \`restart\``
    )
  }
  if (changed.includes(1)) {
    return yield* refuse("segment 1 is the request's own prompt; change the prompt itself (and --restart) instead")
  }
  return edited
})

/**
 * The run's plan: the one recorded by an earlier run of the same request (with the user's edits of
 * its plan file), else a new one. Recorded in the manifest, and a planner's plan also in `plan.json`.
 */
const makePlan = Effect.fnUntraced(function* (validated: ValidatedRequest, store: Manifest.Store) {
  const path = yield* Path.Path
  const planFile = path.join(validated.outputDir, PlanFile.fileName)
  const recorded = (yield* store.get).plan
  const written = !validated.request.plan
  const base = recorded ? yield* checkPlan(recorded, validated.durations) : yield* planFor(validated)
  const plan = recorded && written ? yield* withEdits(base, planFile, store) : base
  if (plan !== recorded) yield* store.update((manifest) => new Manifest.Manifest({ ...manifest, plan }))
  if (written) {
    yield* PlanFile.write(planFile, plan).pipe(
      Effect.mapError((cause) => new OutputError({ path: planFile, reason: "could not write the plan", cause }))
    )
  }
  yield* Progress.emit({ _tag: "Planned", plan })
  return plan
})

export interface Preview {
  readonly durations: ReadonlyArray<number>
  readonly size: string
  readonly usdPerSecond: number
  readonly estimatedCostUsd: number
  readonly outputDir: string
  /** The plan, or why none could be made (a dry run still shows the split and the cost). */
  readonly plan: Result.Result<Plan, PlannerError>
}

/**
 * Everything a run would do before spending: validation, the split, the cost, and the plan when a
 * planner is reachable. Creates nothing and calls no provider.
 */
export const preview = Effect.fn("LongVideo.preview")(function* (request: LongVideoRequest) {
  const validated = yield* validate(request, { createOutputDir: false })
  const plan = yield* Effect.result(planFor(validated))
  const result: Preview = {
    durations: validated.durations,
    size: validated.size,
    usdPerSecond: validated.usdPerSecond,
    estimatedCostUsd: validated.estimatedCostUsd,
    outputDir: validated.outputDir,
    plan
  }
  return result
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
  yield* RunLock.acquire(outputDir)
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

  const firstReference = validated.reference
    ? yield* extractor.fitImage(validated.reference.path, { size, destination: path.join(workDir, "reference.png") })
    : undefined

  const segments = yield* SegmentRunner.make(validated, store, segmentsDir, {
    retryFailed: request.retryFailed ?? 0,
    planFile: path.join(outputDir, PlanFile.fileName)
  })
  // Segment 1's prompt is the user's; the others are the planner's unless the user gave the plan.
  const promptBy = (segment: number): SegmentRunner.Run["promptBy"] =>
    segment === 1 || request.plan ? "user" : "planner"
  const transition = transitionFor(request, validated.capabilities)
  const mode = request.mode ?? "chained"
  const count = durations.length
  // Segment 1 needs only the user's prompt (or a given plan's), so it renders while planning.
  const firstPrompt = request.plan ? request.plan.segments[0].prompt : request.prompt
  const first = (lastFrame: boolean) =>
    segments.run(1, { prompt: firstPrompt, promptBy: "user", reference: firstReference?.path, lastFrame })

  let plan: Plan
  let generated: Array<SegmentRunner.Outcome>
  if (mode === "chained") {
    // Segment 1 first: its create goes out before the planner builds its request.
    const [opening, planned] = yield* Effect.all([first(count > 1), makePlan(validated, store)], { concurrency: 2 })
    plan = planned
    generated = [opening]
    // With `maxDrift`: every segment that a later one would follow is measured before that one is paid for.
    if (count > 1) yield* checkDrift(1, opening.clip.path)
    for (let segment = 2; segment <= count; segment++) {
      const previous = generated[segment - 2]!
      const outcome = yield* segments.run(segment, {
        prompt: plan.segments[segment - 1]!.prompt,
        promptBy: promptBy(segment),
        reference: previous.lastFrame?.path,
        // The last clip's frame is only saved, not needed: it is extracted while the join runs.
        lastFrame: segment < count
      })
      // The join's share of this segment is done while the next one renders (the last one's, by the join).
      if (segment < count)
        yield* Effect.forkScoped(combiner.prepare(Anchor.joinedFile(outcome.clip.path, outcome.anchor), transition))
      generated.push(outcome)
      if (segment < count) yield* checkDrift(segment, outcome.clip.path)
    }
  } else {
    // Independent: every segment from its own prompt, as many at once as the provider allows.
    const slots = yield* Semaphore.make(Math.max(1, request.maxConcurrency ?? validated.capabilities.maxConcurrentJobs))
    const rest = (planned: Plan) =>
      Effect.forEach(
        planned.segments.slice(1),
        (segment, i) =>
          slots.withPermit(
            segments.run(i + 2, { prompt: segment.prompt, promptBy: promptBy(i + 2), lastFrame: request.saveSegments })
          ),
        { concurrency: "unbounded" }
      )
    const [[planned, others], opening] = yield* Effect.all(
      [
        Effect.flatMap(makePlan(validated, store), (planned) =>
          Effect.map(rest(planned), (o) => [planned, o] as const)
        ),
        slots.withPermit(first(request.saveSegments))
      ],
      { concurrency: 2 }
    )
    plan = planned
    generated = [opening, ...others]
  }

  const finalFrame = (() => {
    const last = generated[count - 1]!
    return mode === "chained" && request.saveSegments && !last.lastFrame
      ? Effect.map(segments.lastFrameOf(count, last.clip), (lastFrame) => {
          generated[count - 1] = { ...last, lastFrame }
        })
      : Effect.void
  })()
  // A segment trimmed after its anchor frame joins as its trimmed copy, so the seam stays exact.
  const joinedFiles = generated.map(({ clip, anchor }) => Anchor.joinedFile(clip.path, anchor))
  const [joined] = yield* Effect.all(
    [
      combiner.join({
        segments: joinedFiles,
        destination: path.join(outputDir, "output.mp4"),
        transition
      }),
      finalFrame
    ],
    { concurrency: 2 }
  )
  const audioSeam = yield* AudioSeam.apply(request.audioSeam, request.audioSeamSeconds, {
    output: joined.path,
    segments: joinedFiles,
    transition
  })
  const versionOf = (segment: number, manifest: Manifest.Manifest) => Manifest.currentVersion(manifest, segment)
  const recorded = yield* store.update(
    (manifest) =>
      new Manifest.Manifest({
        ...manifest,
        output: joined.path,
        outputSegments: joinedFiles.map((file, i) => ({ segment: i + 1, version: versionOf(i + 1, manifest), file }))
      })
  )
  yield* Progress.emit({ _tag: "Joined", path: joined.path, method: joined.method })
  if (!request.saveSegments) {
    yield* fs.remove(segmentsDir, { recursive: true }).pipe(Effect.ignore)
  }

  const replacedJobs = (yield* segments.replacedJobs).map(
    ({ segment, jobId, reason, seconds }) => new ReplacedJob({ segment, jobId, reason, seconds })
  )
  const secondsBilled =
    generated.reduce((sum, { clip }) => sum + clip.seconds, 0) + replacedJobs.reduce((sum, job) => sum + job.seconds, 0)
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
              : mode === "chained" && (generated[i - 1]!.lastFrame?.cropped ?? false),
          ...(generated[i]!.anchor ? { anchor: generated[i]!.anchor } : {}),
          ...(drifts.has(i + 1) ? { drift: drifts.get(i + 1)! } : {}),
          ...(versionOf(i + 1, recorded) > 1 ? { version: versionOf(i + 1, recorded) } : {})
        })
    ),
    jobIds: generated.map(({ clip }) => clip.jobId),
    replacedJobs,
    secondsBilled,
    estimatedCostUsd: usd(secondsBilled * validated.usdPerSecond),
    joinMethod: joined.method,
    ...(audioSeam ? { audioSeam } : {})
  })
}, Effect.scoped)
