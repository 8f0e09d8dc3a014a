/**
 * `chain: keyframes`: the seams are fixed before any video is made. The plan describes N+1
 * keyframes; the image model renders them in order — keyframe 0 is the user's reference (or is
 * rendered from the prompt), each next one an edit of the previous, so the look holds — and then
 * every segment renders at once (as many as the provider allows) from keyframe i to keyframe i+1.
 * Both sides of each seam are the same picture, so a cut join is exact, and the wall time is about
 * the keyframes plus one segment's render. Every keyframe and every job is recorded in the manifest
 * before it is waited on, so a rerun keeps what was made and pays for nothing twice.
 */
import { Clock, Effect, FileSystem, Option, Path, Semaphore } from "effect"
import { type Chained, type Context, keyframeCount, prepareAsFinished } from "./Chain.ts"
import { InvalidRequest } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import { KeyframeGenerator } from "./KeyframeGenerator.ts"
import * as Manifest from "./Manifest.ts"
import * as Planning from "./Planning.ts"
import * as Progress from "./Progress.ts"

/** `keyframe_00.png`, `keyframe_01.png`, …, beside the segments. */
export const keyframeName = (index: number): string => `keyframe_${String(index).padStart(2, "0")}.png`

const fileExists = Effect.fnUntraced(function* (file: string | undefined) {
  const fs = yield* FileSystem.FileSystem
  return file !== undefined && (yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))
})

/** Whether an earlier run made keyframe `index` and its file is still there. */
const isMade = (manifest: Manifest.Manifest, index: number) => {
  const record = Manifest.keyframeRecord(manifest, index)
  return record?.state === "completed" ? fileExists(record.file) : Effect.succeed(false)
}

/**
 * Whether the run in `outputDir` has every keyframe it needs (a resume or a regenerate of a keyframes run): then no
 * image model is needed. Keyframe 0 is the user's reference when there is one.
 */
export const allMade = Effect.fnUntraced(function* (outputDir: string, hasReference: boolean) {
  const manifest = yield* Manifest.read(outputDir).pipe(Effect.orElseSucceed(() => Option.none<Manifest.Manifest>()))
  if (Option.isNone(manifest) || manifest.value.request.chain !== "keyframes") return false
  const count = keyframeCount(manifest.value.request.durations)
  const needed = Array.from({ length: count }, (_, index) => index).filter((index) => index > 0 || !hasReference)
  return yield* Effect.forEach(needed, (index) => isMade(manifest.value, index)).pipe(
    Effect.map((made) => made.every(Boolean))
  )
})

const makeKeyframes = Effect.fnUntraced(function* (context: Context) {
  const { validated, store } = context
  const path = yield* Path.Path
  const extractor = yield* FrameExtractor
  const images = yield* Effect.serviceOption(KeyframeGenerator)

  /** Keyframe `index`: an earlier run's, or rendered now as an edit of `source` (or from text). */
  return Effect.fnUntraced(function* (index: number, prompt: string, source: string | undefined) {
    const started = yield* Clock.currentTimeMillis
    const destination = path.join(context.segmentsDir, keyframeName(index))
    const record = Manifest.keyframeRecord(yield* store.get, index)
    if (record?.state === "completed" && (yield* fileExists(record.file))) {
      yield* Progress.emit({ _tag: "KeyframeRendered", index, path: record.file!, reused: true, ms: 0 })
      return record.file!
    }
    // Validation let the run through without an image model only because every keyframe was made; one has gone since.
    if (Option.isNone(images)) {
      return yield* new InvalidRequest({
        field: "chain",
        given: "keyframes",
        allowed: "keyframes only with an image model",
        fix: `Keyframe ${index} must be made again (${destination} is gone): configure an image model, or use another strategy.`
      })
    }
    // A request sent by an earlier run whose answer never arrived: that image was paid for and is lost.
    const lost = record?.state === "requested" ? (record.lost ?? 0) + 1 : record?.lost
    const counted = { ...(lost ? { lost } : {}), model: images.value.capabilities.model }
    yield* store.update(Manifest.setKeyframe({ index, state: "requested", requestedAt: started, ...counted }))
    const raw = yield* images.value
      .generate({
        index,
        prompt,
        size: validated.size,
        source,
        destination: path.join(context.workDir, `keyframe_${index}_raw`)
      })
      .pipe(
        // A refusal made no image: nothing was billed, so a rerun must not count it as lost.
        Effect.tapError((error) =>
          error.kind === "rejected"
            ? store.update(Manifest.setKeyframe({ index, state: "refused", requestedAt: started, ...counted }))
            : Effect.void
        )
      )
    // Image models answer their own sizes: the keyframe is fitted to the video's (cropped, not distorted).
    const fitted = yield* extractor.fitImage(raw, { size: validated.size, destination })
    yield* store.update(
      Manifest.setKeyframe({ index, state: "completed", requestedAt: started, file: fitted.path, ...counted })
    )
    const ms = (yield* Clock.currentTimeMillis) - started
    yield* Progress.emit({ _tag: "KeyframeRendered", index, path: fitted.path, reused: false, ms })
    return fitted.path
  })
})

/** Images paid for: every keyframe the image model made, in any run, and every one whose answer was lost. */
const keyframesBilled = (manifest: Manifest.Manifest): number =>
  (manifest.keyframes ?? []).reduce(
    (sum, record) => sum + (record.state === "completed" ? 1 : 0) + (record.lost ?? 0),
    0
  )

export const run = Effect.fnUntraced(function* (context: Context) {
  const { validated, segments, store } = context
  const { request } = validated
  const keyframe = yield* makeKeyframes(context)
  const plan = yield* context.plan
  const descriptions = Planning.keyframesOf(plan)
  const started = yield* Clock.currentTimeMillis
  // Keyframe 0 is the user's reference itself when there is one: their picture opens the video.
  const keyframes: Array<string> = []
  for (let index = 0; index < descriptions.length; index++) {
    const image =
      index === 0 && context.firstReference !== undefined
        ? context.firstReference
        : yield* keyframe(index, descriptions[index]!, keyframes[index - 1])
    keyframes.push(image)
  }
  yield* Progress.emit({ _tag: "PhaseTimed", phase: "keyframes", ms: (yield* Clock.currentTimeMillis) - started })
  const slots = yield* Semaphore.make(Math.max(1, request.maxConcurrency ?? validated.capabilities.maxConcurrentJobs))
  const finished = prepareAsFinished(context)
  const outcomes = yield* Effect.forEach(
    plan.segments,
    (segment, i) =>
      slots
        .withPermit(
          segments.run(i + 1, {
            prompt: i === 0 ? context.firstPrompt : segment.prompt,
            promptBy: i === 0 ? "user" : context.promptBy(i + 1),
            // The seams: segment i+1 runs from keyframe i to keyframe i+1.
            reference: keyframes[i],
            endImage: keyframes[i + 1],
            lastFrame: request.saveSegments
          })
        )
        .pipe(Effect.tap((outcome) => finished(i + 1, outcome))),
    { concurrency: "unbounded" }
  )
  return { plan, outcomes, keyframesBilled: keyframesBilled(yield* store.get) } satisfies Chained
})
