/**
 * One segment, from prompt to clip (and last frame), recorded in the run manifest at every step:
 * a clip finished by an earlier run is taken over, a job in flight is polled instead of created
 * again, and a create whose answer was lost is adopted by the provider (`notBefore`).
 */
import { Clock, Effect, FileSystem, Path } from "effect"
import { OutputError } from "./Errors.ts"
import { FrameExtractor } from "./FrameExtractor.ts"
import * as Manifest from "./Manifest.ts"
import * as Progress from "./Progress.ts"
import { type GeneratedClip, SegmentGenerator } from "./SegmentGenerator.ts"
import type { ValidatedRequest } from "./Validation.ts"

/** `segment_01`, `segment_02`, …: the file names the original client writes. */
export const segmentName = (segment: number): string => `segment_${String(segment).padStart(2, "0")}`

export interface Outcome {
  readonly clip: GeneratedClip
  readonly prompt: string
  readonly lastFrame?: { readonly path: string; readonly cropped: boolean } | undefined
}

export interface Run {
  readonly prompt: string
  /** Image of exactly the request's size to use as the first frame. */
  readonly reference?: string | undefined
  /** Whether the clip's last frame is extracted (needed by the next segment, or saved). */
  readonly lastFrame: boolean
}

export const make = Effect.fnUntraced(function* (
  validated: ValidatedRequest,
  store: Manifest.Store,
  segmentsDir: string
) {
  const { request, durations, size } = validated
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const generator = yield* SegmentGenerator
  const extractor = yield* FrameExtractor

  const outputError = (file: string, reason: string) => (cause: unknown) =>
    new OutputError({ path: file, reason, cause })

  const existingFile = (file: string | undefined, bytes: number | undefined) =>
    file === undefined
      ? Effect.succeed(false)
      : fs.stat(file).pipe(
          Effect.map((info) => info.type === "File" && (bytes === undefined || Number(info.size) === bytes)),
          Effect.orElseSucceed(() => false)
        )

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

  /** The clip's last frame: the one an earlier run saved, or extracted now; recorded in the manifest. */
  const lastFrameOf = Effect.fnUntraced(function* (segment: number, clip: GeneratedClip) {
    const record = Manifest.segmentRecord(yield* store.get, segment)
    const destination = path.join(segmentsDir, `${segmentName(segment)}_last.jpg`)
    const lastFrame =
      record?.lastFrame === destination && (yield* existingFile(destination, undefined))
        ? { path: destination, cropped: false }
        : yield* extractor.lastFrame(clip.path, { size, destination })
    yield* store.update((manifest) => {
      const current = Manifest.segmentRecord(manifest, segment)
      return current ? Manifest.setSegment({ ...current, lastFrame: lastFrame.path })(manifest) : manifest
    })
    yield* Progress.emit({ _tag: "FrameExtracted", segment, path: lastFrame.path })
    return lastFrame
  })

  const run = Effect.fnUntraced(function* (segment: number, options: Run) {
    const { clip } = yield* clipFor(segment, options.prompt, options.reference)
    if (!options.lastFrame) return { clip, prompt: options.prompt } satisfies Outcome
    const lastFrame = yield* lastFrameOf(segment, clip)
    return { clip, prompt: options.prompt, lastFrame } satisfies Outcome
  })

  return { run, lastFrameOf } as const
})
