/**
 * The orchestration program: validate → solve durations → plan → generate segments in order, each
 * from the previous segment's last frame → join. It uses only the service interfaces, so any
 * planner, provider, extractor and combiner can be plugged in through layers. Every step is recorded
 * in the run manifest, so running the same request again resumes instead of paying twice.
 */
import { Clock, Effect, FileSystem, Option, Path, type Result } from "effect"
import { Combiner } from "./Combiner.ts"
import { OutputError, PlannerError, RunConflict } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import type { LongVideoRequest } from "./LongVideoRequest.ts"
import { LongVideoResult, SegmentResult } from "./LongVideoResult.ts"
import * as Manifest from "./Manifest.ts"
import { Plan, PlannedSegment } from "./Plan.ts"
import { Planner } from "./Planner.ts"
import * as Progress from "./Progress.ts"
import { type GeneratedClip, SegmentGenerator } from "./SegmentGenerator.ts"
import { cut } from "./Transition.ts"
import { usd, type ValidatedRequest, validate } from "./Validation.ts"

/** `segment_01`, `segment_02`, …: the file names the original client writes. */
export const segmentName = (segment: number): string => `segment_${String(segment).padStart(2, "0")}`

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
  const reference = validated.reference
    ? yield* fs.stat(validated.reference.path).pipe(
        Effect.map(
          (info) =>
            `${validated.reference!.path} (${info.size} bytes, modified ${Option.getOrUndefined(info.mtime)?.toISOString()})`
        ),
        Effect.mapError(outputError(validated.reference.path, "could not read the reference image"))
      )
    : null
  const fingerprint: Manifest.RequestFingerprint = {
    prompt: request.prompt,
    model: request.model,
    durations: [...validated.durations],
    size: validated.size,
    planModel: request.planModel,
    inputReference: reference,
    transition: JSON.stringify(request.transition ?? cut),
    mode: request.mode ?? "chained",
    plan: request.plan ? JSON.stringify(request.plan) : null
  }
  return fingerprint
})

/** The earlier run's manifest when it is for the same request, a fresh one otherwise. */
const openManifest = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const fingerprint = yield* fingerprintOf(validated)
  const previous = yield* Manifest.read(validated.outputDir)
  if (Option.isSome(previous) && !validated.request.restart) {
    const changed = Manifest.changedFields(previous.value.request, fingerprint)
    if (changed.length > 0) return yield* new RunConflict({ outputDir: validated.outputDir, changed })
    return yield* Manifest.make(validated.outputDir, previous.value)
  }
  if (Option.isSome(previous)) {
    // Starting over: the earlier run's clips and frames would otherwise linger beside the new ones.
    const fs = yield* FileSystem.FileSystem
    const files = previous.value.segments.flatMap((record) => [record.file, record.lastFrame])
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

/** The run's plan: the one recorded by an earlier run of the same request, else a new one, recorded. */
const makePlan = Effect.fnUntraced(function* (validated: ValidatedRequest, store: Manifest.Store) {
  const recorded = (yield* store.get).plan
  const plan = recorded ? yield* checkPlan(recorded, validated.durations) : yield* planFor(validated)
  if (!recorded) yield* store.update((manifest) => new Manifest.Manifest({ ...manifest, plan }))
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
  const generator = yield* SegmentGenerator
  const extractor = yield* FrameExtractor
  const combiner = yield* Combiner

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

  const existingFile = (file: string | undefined, bytes: number | undefined) =>
    file === undefined
      ? Effect.succeed(false)
      : fs.stat(file).pipe(
          Effect.map((info) => info.type === "File" && (bytes === undefined || Number(info.size) === bytes)),
          Effect.orElseSucceed(() => false)
        )

  /** The clip of one segment: taken over from the manifest where possible, else created once. */
  const clipFor = Effect.fnUntraced(function* (segment: number, prompt: string, reference: string | undefined) {
    const seconds = durations[segment - 1]!
    const destination = path.join(segmentsDir, `${segmentName(segment)}.mp4`)
    const record = Manifest.segmentRecord(yield* store.get, segment)
    if (record?.state === "completed" && record.jobId && (yield* existingFile(record.file, record.bytes))) {
      yield* Progress.emit({ _tag: "SegmentReused", segment, jobId: record.jobId, state: record.state })
      const clip: GeneratedClip = { segment, jobId: record.jobId, path: record.file!, seconds, sha256: record.sha256 }
      return { clip, record }
    }
    let job = record?.jobId ? { segment, id: record.jobId, seconds } : undefined
    const submittedAt = record?.submittedAt ?? (yield* Clock.currentTimeMillis)
    if (job) {
      yield* Progress.emit({ _tag: "SegmentReused", segment, jobId: job.id, state: record!.state })
    } else {
      // Recorded before the create, so a crash before its answer lets the next run adopt the job.
      const notBefore = record?.state === "submitting" ? record.submittedAt : undefined
      yield* store.update(Manifest.setSegment({ segment, state: "submitting", submittedAt, seconds }))
      job = yield* generator.submit({ segment, prompt, model: request.model, seconds, size, reference, notBefore })
      yield* store.update(Manifest.setSegment({ segment, state: "submitted", submittedAt, jobId: job.id, seconds }))
      yield* Progress.emit({ _tag: "SegmentQueued", segment, jobId: job.id })
    }
    const clip = yield* generator.complete(job, destination)
    const info = yield* fs
      .stat(clip.path)
      .pipe(Effect.mapError(outputError(clip.path, "the downloaded clip is missing")))
    const completed: Manifest.SegmentRecord = {
      segment,
      state: "completed",
      submittedAt,
      jobId: clip.jobId,
      seconds,
      file: clip.path,
      bytes: Number(info.size),
      ...(clip.sha256 ? { sha256: clip.sha256 } : {})
    }
    yield* store.update(Manifest.setSegment(completed))
    yield* Progress.emit({ _tag: "SegmentCompleted", segment, jobId: clip.jobId, path: clip.path })
    return { clip, record: completed }
  })

  const generateSegment = Effect.fnUntraced(function* (segment: number, prompt: string, reference?: string) {
    const { clip, record } = yield* clipFor(segment, prompt, reference)
    const isLast = segment === durations.length
    if (isLast && !request.saveSegments) return { clip, prompt, lastFrame: undefined }
    const destination = path.join(segmentsDir, `${segmentName(segment)}_last.jpg`)
    const lastFrame =
      record.lastFrame === destination && (yield* existingFile(destination, undefined))
        ? { path: destination, cropped: false }
        : yield* extractor.lastFrame(clip.path, { size, destination })
    yield* store.update(Manifest.setSegment({ ...record, lastFrame: lastFrame.path }))
    yield* Progress.emit({ _tag: "FrameExtracted", segment, path: lastFrame.path })
    return { clip, prompt, lastFrame }
  })

  // Segment 1 needs only the user's prompt (or a given plan's), so it renders while planning.
  const firstPrompt = request.plan ? request.plan.segments[0].prompt : request.prompt
  const [plan, first] = yield* Effect.all(
    [makePlan(validated, store), generateSegment(1, firstPrompt, firstReference?.path)],
    { concurrency: 2 }
  )
  const generated = [first]
  for (let segment = 2; segment <= durations.length; segment++) {
    const previous = generated[segment - 2]!
    generated.push(yield* generateSegment(segment, plan.segments[segment - 1]!.prompt, previous.lastFrame?.path))
  }

  const joined = yield* combiner.join({
    segments: generated.map(({ clip }) => clip.path),
    destination: path.join(outputDir, "output.mp4"),
    transition: request.transition ?? cut
  })
  yield* store.update((manifest) => new Manifest.Manifest({ ...manifest, output: joined.path }))
  yield* Progress.emit({ _tag: "Joined", path: joined.path, method: joined.method })
  if (!request.saveSegments) {
    yield* fs.remove(segmentsDir, { recursive: true }).pipe(Effect.ignore)
  }

  const secondsBilled = generated.reduce((sum, { clip }) => sum + clip.seconds, 0)
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
            i === 0 ? (firstReference?.cropped ?? false) : (generated[i - 1]!.lastFrame?.cropped ?? false)
        })
    ),
    jobIds: generated.map(({ clip }) => clip.jobId),
    secondsBilled,
    estimatedCostUsd: usd(secondsBilled * validated.usdPerSecond),
    joinMethod: joined.method
  })
}, Effect.scoped)
