/**
 * One segment, from prompt to clip (and last frame), recorded in the run manifest at every step:
 * a clip finished by an earlier run is taken over, a job in flight is polled instead of created
 * again, and a create whose answer was lost is adopted by the provider when it can prove which job
 * is ours (`lostCreate`). A job that failed, or that the server no longer knows, is the only reason
 * to pay for a segment again: the new create is recorded, and the user is told what it costs.
 */
import { Clock, Effect, Fiber, FileSystem, Path } from "effect"
import * as Anchor from "./Anchor.ts"
import { GenerationError, OutputError } from "./Errors.ts"
import * as JobRegistry from "./JobRegistry.ts"
import * as Manifest from "./Manifest.ts"
import * as Progress from "./Progress.ts"
import {
  type EarlyClip,
  type GeneratedClip,
  SegmentGenerator,
  type SegmentJob,
  type SegmentSpec
} from "./SegmentGenerator.ts"
import { usd, type ValidatedRequest } from "./Validation.ts"

/** `segment_01`, `segment_02`, …: the file names the original client writes. */
export const segmentName = (segment: number): string => `segment_${String(segment).padStart(2, "0")}`

export interface Outcome {
  readonly clip: GeneratedClip
  readonly prompt: string
  readonly lastFrame?: { readonly path: string; readonly cropped: boolean } | undefined
  /** With `anchor: best`: the chosen frame, and the trimmed copy the join uses. */
  readonly anchor?: Anchor.AnchorChoice | undefined
}

/** A segment whose last frame is known while its clip may still be downloading (`runEarly`). */
export interface EarlyOutcome {
  readonly outcome: Outcome
  /** Waits until the clip is whole at `outcome.clip.path` and recorded; before that, do not read the clip. */
  readonly finished: Effect.Effect<void, GenerationError | OutputError>
}

export interface Run {
  readonly prompt: string
  /** Who wrote the prompt; a refused prompt the planner wrote is fixed in the plan file, not by the user's words. */
  readonly promptBy: "user" | "planner"
  /** Image of exactly the request's size to use as the first frame. */
  readonly reference?: string | undefined
  /** Image of exactly the request's size the clip must end on (`chain: keyframes`). */
  readonly endImage?: string | undefined
  /** The provider's job this segment extends (`chain: extend`), and how long its video is. */
  readonly extend?: SegmentSpec["extend"]
  /** Whether the clip's last frame is extracted (needed by the next segment, or saved). */
  readonly lastFrame: boolean
}

export interface Options {
  /** Failed jobs of one segment created again automatically in this run (each one billed). */
  readonly retryFailed: number
  /** Where the editable plan lives, named in the advice for a refused planner prompt. */
  readonly planFile: string
}

/** Failures that end the job for good: only a new create can make the segment. */
const isFinal = (error: GenerationError) => error.kind === "failed" || error.kind === "moderation"

export const make = Effect.fnUntraced(function* (
  validated: ValidatedRequest,
  store: Manifest.Store,
  segmentsDir: string,
  options: Options
) {
  const { request, durations, size } = validated
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const generator = yield* SegmentGenerator
  // Background downloads (`runEarly`) live as long as the run.
  const scope = yield* Effect.scope

  const outputError = (file: string, reason: string) => (cause: unknown) =>
    new OutputError({ path: file, reason, cause })

  const existingFile = (file: string | undefined, bytes: number | undefined) =>
    file === undefined
      ? Effect.succeed(false)
      : fs.stat(file).pipe(
          Effect.map((info) => info.type === "File" && (bytes === undefined || Number(info.size) === bytes)),
          Effect.orElseSucceed(() => false)
        )

  const recordOf = (segment: number) => Effect.map(store.get, (manifest) => Manifest.segmentRecord(manifest, segment))

  /** Every job this run's manifest or any other run on this machine has: none of them is a lost create's. */
  const ownedJobs = Effect.gen(function* () {
    const registered = yield* JobRegistry.ownedJobIds
    const manifest = yield* store.get
    const own = manifest.segments.flatMap((record) => [
      ...(record.jobId ? [record.jobId] : []),
      ...(record.replaced ?? []).map((job) => job.jobId)
    ])
    return new Set([...registered, ...own])
  })

  /** Sends the create, recorded before (so a lost answer can be adopted) and after. */
  const create = Effect.fnUntraced(function* (segment: number, run: Run) {
    const seconds = durations[segment - 1]!
    const record = yield* recordOf(segment)
    const replaced = record?.replaced ? { replaced: record.replaced } : {}
    const lost = record?.state === "submitting" ? record.submittedAt : undefined
    const submittedAt = lost ?? (yield* Clock.currentTimeMillis)
    yield* store.update(Manifest.setSegment({ segment, state: "submitting", submittedAt, seconds, ...replaced }))
    const owned = lost === undefined || request.recreateLost ? undefined : yield* ownedJobs
    const job = yield* generator
      .submit({
        segment,
        prompt: run.prompt,
        model: request.model,
        seconds,
        size,
        reference: run.reference,
        lastFrame: run.endImage,
        extend: run.extend,
        lostCreate: owned && lost !== undefined ? { sentAt: lost, isOwned: (id) => owned.has(id) } : undefined
      })
      .pipe(
        // A refused create made no job: forget the attempt, so a rerun does not treat it as lost.
        Effect.tapError((error) =>
          error.kind === "rejected" && lost === undefined
            ? store.update((manifest) =>
                record
                  ? Manifest.setSegment(record)(manifest)
                  : new Manifest.Manifest({
                      ...manifest,
                      segments: manifest.segments.filter((r) => r.segment !== segment)
                    })
              )
            : Effect.void
        )
      )
    yield* store.update(
      Manifest.setSegment({ segment, state: "submitted", submittedAt, jobId: job.id, seconds, ...replaced })
    )
    yield* JobRegistry.record({
      jobId: job.id,
      outputDir: validated.outputDir,
      segment,
      at: yield* Clock.currentTimeMillis
    })
    yield* Progress.emit({ _tag: "SegmentQueued", segment, jobId: job.id })
    return job
  })

  /** Gives up on the segment's recorded job (paid for, unusable) so the next create replaces it. */
  const replaceJob = Effect.fnUntraced(function* (segment: number, reason: "failed" | "gone", detail: string) {
    const record = yield* recordOf(segment)
    if (!record?.jobId) return
    const at = yield* Clock.currentTimeMillis
    const job: Manifest.ReplacedJob = { jobId: record.jobId, reason, detail, seconds: record.seconds, at }
    // `failed` without a job id: the job is given up on and no create has been sent for it yet.
    yield* store.update(
      Manifest.setSegment({
        segment,
        state: "failed",
        submittedAt: at,
        seconds: record.seconds,
        replaced: [...(record.replaced ?? []), job]
      })
    )
    yield* Progress.emit({
      _tag: "SegmentRecreated",
      segment,
      previousJobId: job.jobId,
      reason,
      detail,
      seconds: record.seconds,
      estimatedCostUsd: usd(record.seconds * validated.usdPerSecond)
    })
  })

  /** The job to wait for: the recorded one when it may still deliver, else a new create. */
  const jobFor = Effect.fnUntraced(function* (segment: number, run: Run) {
    const record = yield* recordOf(segment)
    if (record?.state === "failed" && record.jobId) {
      yield* replaceJob(segment, "failed", record.failure?.reason ?? "the job failed")
    } else if (record?.jobId && (record.state === "submitted" || record.state === "completed")) {
      yield* Progress.emit({ _tag: "SegmentReused", segment, jobId: record.jobId, state: record.state })
      const job: SegmentJob = { segment, id: record.jobId, seconds: record.seconds }
      return job
    }
    // A fresh create, or (state `submitting`) the retry of one whose answer was lost.
    return yield* create(segment, run)
  })

  const recordFailure = (segment: number, error: GenerationError) =>
    store.update((manifest) => {
      const current = Manifest.segmentRecord(manifest, segment)
      return current?.jobId === error.jobId && current
        ? Manifest.setSegment({ ...current, state: "failed", failure: { kind: error.kind, reason: error.reason } })(
            manifest
          )
        : manifest
    })

  /** A refused prompt the planner wrote: the user never wrote it, so say where to change it. */
  const explainRefusal = (error: GenerationError, run: Run) =>
    error.kind === "moderation" && run.promptBy === "planner"
      ? new GenerationError({
          ...error,
          reason: `${error.reason} The refused prompt was written by the planner: "${run.prompt}"`,
          fix:
            `Edit segment ${error.segment}'s prompt in ${options.planFile} and run the same command again: ` +
            "finished segments are kept and only this one is created again."
        })
      : error

  const recordCompleted = Effect.fnUntraced(function* (clip: GeneratedClip) {
    const info = yield* fs
      .stat(clip.path)
      .pipe(Effect.mapError(outputError(clip.path, "the downloaded clip is missing")))
    yield* store.update((manifest) => {
      const current = Manifest.segmentRecord(manifest, clip.segment)
      return Manifest.setSegment({
        segment: clip.segment,
        state: "completed",
        submittedAt: current?.submittedAt ?? 0,
        jobId: clip.jobId,
        seconds: durations[clip.segment - 1]!,
        file: clip.path,
        bytes: Number(info.size),
        ...(clip.sha256 ? { sha256: clip.sha256 } : {}),
        ...(current?.replaced ? { replaced: current.replaced } : {}),
        // Extracted from this job's clip before the download finished (`runEarly`): still its last frame.
        ...(current?.jobId === clip.jobId && current.lastFrame
          ? { lastFrame: current.lastFrame, ...(current.anchor ? { anchor: current.anchor } : {}) }
          : {})
      })(manifest)
    })
    yield* Progress.emit({ _tag: "SegmentCompleted", segment: clip.segment, jobId: clip.jobId, path: clip.path })
  })

  /** A clip, with the file to read its last frame from and the wait for the whole clip. */
  interface Fetched {
    readonly clip: GeneratedClip
    readonly frameSource: string
    /** What is left of the download (an early clip's); recorded when done. */
    readonly rest: Effect.Effect<GeneratedClip, GenerationError | OutputError> | undefined
  }
  const whole = (clip: GeneratedClip): Fetched => ({ clip, frameSource: clip.path, rest: undefined })

  const started = Effect.fnUntraced(function* (job: SegmentJob, destination: string, staged: EarlyClip) {
    if (staged.preview === undefined) return whole(yield* Effect.tap(staged.rest, recordCompleted))
    const clip: GeneratedClip = { segment: job.segment, jobId: job.id, path: destination, seconds: job.seconds }
    return { clip, frameSource: staged.preview, rest: Effect.tap(staged.rest, recordCompleted) } satisfies Fetched
  })

  const clipFor = Effect.fnUntraced(function* (segment: number, run: Run, early: boolean) {
    const seconds = durations[segment - 1]!
    const destination = path.join(segmentsDir, `${segmentName(segment)}.mp4`)
    const record = yield* recordOf(segment)
    if (record?.state === "completed" && record.jobId && (yield* existingFile(record.file, record.bytes))) {
      yield* Progress.emit({ _tag: "SegmentReused", segment, jobId: record.jobId, state: record.state })
      const clip: GeneratedClip = { segment, jobId: record.jobId, path: record.file!, seconds, sha256: record.sha256 }
      return whole(clip)
    }
    let retries = 0
    let recreated = false
    for (;;) {
      const job = yield* jobFor(segment, run)
      const outcome = yield* Effect.result(
        early && generator.completeEarly
          ? generator.completeEarly(job, destination)
          : Effect.map(
              generator.complete(job, destination),
              (clip): EarlyClip => ({ preview: undefined, rest: Effect.succeed(clip) })
            )
      )
      if (outcome._tag === "Success") return yield* started(job, destination, outcome.success)
      const error = outcome.failure
      if (error.kind === "gone" && !recreated) {
        // Once per run: a server that forgets every job would otherwise bill without end.
        recreated = true
        yield* replaceJob(segment, "gone", error.reason)
        continue
      }
      if (isFinal(error)) {
        yield* recordFailure(segment, error)
        if (retries < options.retryFailed) {
          retries++
          continue
        }
        return yield* explainRefusal(error, run)
      }
      return yield* error
    }
  })

  /** The clip's last frame: the one an earlier run saved, or extracted now; recorded in the manifest. */
  const lastFrameOf = Effect.fnUntraced(function* (segment: number, clip: GeneratedClip) {
    const record = yield* recordOf(segment)
    const destination = path.join(segmentsDir, `${segmentName(segment)}_last.jpg`)
    const trimmedDestination = path.join(segmentsDir, `${segmentName(segment)}_trimmed.mp4`)
    const reusable =
      record?.lastFrame === destination &&
      (yield* existingFile(destination, undefined)) &&
      (record.anchor?.trimmed === undefined || (yield* existingFile(record.anchor.trimmed, undefined)))
    const { image: lastFrame, choice } = reusable
      ? { image: { path: destination, cropped: false }, choice: record.anchor }
      : yield* Anchor.choose(anchorOf(segment), clip.path, { size, destination, trimmedDestination })
    yield* store.update((manifest) => {
      const current = Manifest.segmentRecord(manifest, segment)
      const { anchor: _previous, ...rest } = current ?? { anchor: undefined }
      return current
        ? Manifest.setSegment({
            ...(rest as Manifest.SegmentRecord),
            lastFrame: lastFrame.path,
            ...(choice ? { anchor: choice } : {})
          })(manifest)
        : manifest
    })
    yield* Progress.emit({ _tag: "FrameExtracted", segment, path: lastFrame.path })
    return { ...lastFrame, anchor: choice }
  })

  /** `best` only where a next segment starts from the frame: chained, and not the last segment. */
  const anchorOf = (segment: number): Anchor.AnchorMode =>
    (request.mode ?? "chained") === "chained" && segment < durations.length ? (request.anchor ?? "last") : "last"

  const runWith = Effect.fnUntraced(function* (segment: number, options: Run, early: boolean) {
    const { clip, frameSource, rest } = yield* clipFor(segment, options, early)
    const frame = options.lastFrame
      ? yield* Effect.exit(lastFrameOf(segment, { ...clip, path: frameSource }))
      : undefined
    // The rest of an early clip downloads in the background, started only now: finishing renames the preview
    // away, so the frame is read first. It is started even when the frame failed, so its part file goes.
    const finished = rest ? Effect.asVoid(Fiber.join(yield* Effect.forkIn(rest, scope))) : Effect.void
    if (!frame) return { outcome: { clip, prompt: options.prompt } satisfies Outcome, finished }
    const { anchor, ...lastFrame } = yield* frame
    return { outcome: { clip, prompt: options.prompt, lastFrame, anchor } satisfies Outcome, finished }
  })

  /** The segment, its clip whole and recorded. */
  const run = (segment: number, options: Run) => Effect.map(runWith(segment, options, false), ({ outcome }) => outcome)

  /**
   * The segment as soon as its last frame is extracted: with a provider that downloads range-first, the clip's
   * header and last keyframe interval are enough, and the rest arrives in the background (`finished`). Only for
   * `anchor: last` (the best anchor scores and trims the whole final second).
   */
  const runEarly = (segment: number, options: Run) =>
    runWith(segment, options, options.lastFrame && anchorOf(segment) === "last")

  /** Seconds paid for jobs that were replaced (failed or forgotten), over every run in this directory. */
  const replacedJobs = Effect.map(store.get, (manifest) =>
    manifest.segments.flatMap((record) => (record.replaced ?? []).map((job) => ({ segment: record.segment, ...job })))
  )

  return { run, runEarly, lastFrameOf, replacedJobs } as const
})

/** What `make` gives: run a segment, extract a clip's last frame, the replaced jobs so far. */
export type Runner = Effect.Success<ReturnType<typeof make>>
