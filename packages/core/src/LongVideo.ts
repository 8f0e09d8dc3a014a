/**
 * The orchestration program: validate → solve durations → plan → generate segments in order, each
 * from the previous segment's last frame → join. It uses only the service interfaces, so any
 * planner, provider, extractor and combiner can be plugged in through layers.
 */
import { Effect, FileSystem, Path } from "effect"
import { Combiner } from "./Combiner.ts"
import { OutputError, PlannerError } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import type { LongVideoRequest } from "./LongVideoRequest.ts"
import { LongVideoResult, SegmentResult } from "./LongVideoResult.ts"
import { Plan, PlannedSegment } from "./Plan.ts"
import { Planner } from "./Planner.ts"
import * as Progress from "./Progress.ts"
import { SegmentGenerator } from "./SegmentGenerator.ts"
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

const makePlan = Effect.fnUntraced(function* (validated: ValidatedRequest) {
  const { request, durations, capabilities } = validated
  const plan =
    request.plan ??
    (yield* (yield* Planner).plan({
      prompt: request.prompt,
      durations,
      planModel: request.planModel,
      videoModel: capabilities.model,
      maxPromptLength: capabilities.maxPromptLength,
      hasReference: validated.reference !== undefined
    }))
  const checked = yield* checkPlan(plan, durations)
  // Segment 1 is the user's own prompt, as in the original client; the plan records that.
  const [first, ...rest] = checked.segments
  const opening = request.plan ? first : new PlannedSegment({ prompt: request.prompt, seconds: first.seconds })
  const final = new Plan({ brief: checked.brief, segments: [opening, ...rest] })
  yield* Progress.emit({ _tag: "Planned", plan: final })
  return final
})

/** Makes the long video described by `request`. Interrupting it stops all work and removes temp files. */
export const generate = Effect.fn("LongVideo.generate")(function* (request: LongVideoRequest) {
  const validated = yield* validate(request)
  const { durations, size, outputDir } = validated
  yield* Progress.emit({ _tag: "Started", durations, size, estimatedCostUsd: validated.estimatedCostUsd })

  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const generator = yield* SegmentGenerator
  const extractor = yield* FrameExtractor
  const combiner = yield* Combiner

  const workDir = yield* fs
    .makeTempDirectoryScoped({ directory: outputDir, prefix: ".longsora-" })
    .pipe(Effect.mapError(outputError(outputDir, "could not create a working directory")))
  const segmentsDir = request.saveSegments ? path.join(outputDir, "segments") : workDir
  yield* fs
    .makeDirectory(segmentsDir, { recursive: true })
    .pipe(Effect.mapError(outputError(segmentsDir, "could not create the segments directory")))

  const firstReference = validated.reference
    ? yield* extractor.fitImage(validated.reference.path, {
        size,
        destination: path.join(workDir, "reference.png")
      })
    : undefined

  const generateSegment = Effect.fnUntraced(function* (segment: number, prompt: string, reference?: string) {
    const seconds = durations[segment - 1]!
    const job = yield* generator.submit({ segment, prompt, model: request.model, seconds, size, reference })
    yield* Progress.emit({ _tag: "SegmentQueued", segment, jobId: job.id })
    const clip = yield* generator.complete(job, path.join(segmentsDir, `${segmentName(segment)}.mp4`))
    yield* Progress.emit({ _tag: "SegmentCompleted", segment, jobId: clip.jobId, path: clip.path })
    const isLast = segment === durations.length
    const lastFrame =
      isLast && !request.saveSegments
        ? undefined
        : yield* extractor.lastFrame(clip.path, {
            size,
            destination: path.join(segmentsDir, `${segmentName(segment)}_last.jpg`)
          })
    if (lastFrame) yield* Progress.emit({ _tag: "FrameExtracted", segment, path: lastFrame.path })
    return { clip, prompt, lastFrame }
  })

  // Segment 1 needs only the user's prompt (or a given plan's), so it renders while planning.
  const firstPrompt = request.plan ? request.plan.segments[0].prompt : request.prompt
  const [plan, first] = yield* Effect.all(
    [makePlan(validated), generateSegment(1, firstPrompt, firstReference?.path)],
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
  yield* Progress.emit({ _tag: "Joined", path: joined.path, method: joined.method })

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
