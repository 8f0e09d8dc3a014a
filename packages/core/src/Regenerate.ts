/**
 * Redoing one segment of a finished run: segment k is created again — in chained mode also every
 * segment after it, since each starts from the previous one's clip; with keyframes only k, between
 * the same two keyframes — and the output is joined
 * again. The clips being replaced were paid for, so they are kept as `segment_NN.vK.mp4` and listed in
 * the manifest's `versions`; the manifest's `outputSegments` says which version the output uses.
 *
 * Never paying twice: the segments are set aside (clips renamed, records cleared, `regenerating`
 * written) before anything is created, and the rest is an ordinary resumed run of the same request.
 * A regenerate that was killed is finished by running it again: the pending one is resumed, nothing
 * is set aside twice, and no segment is created beyond those it needs.
 */
import { Clock, Effect, FileSystem, Option, Path, Schema } from "effect"
import type { AudioSeamMode } from "./AudioSeam.ts"
import { InvalidRequest, OutputError } from "./Errors.ts"
import * as LongVideo from "./LongVideo.ts"
import { ChainStrategy, LongVideoRequest } from "./LongVideoRequest.ts"
import * as Manifest from "./Manifest.ts"
import { Plan, PlanJson, PlannedSegment } from "./Plan.ts"
import * as PlanFile from "./PlanFile.ts"
import * as RunLock from "./RunLock.ts"
import { segmentName } from "./SegmentRunner.ts"
import * as Transition from "./Transition.ts"
import { usd, validate } from "./Validation.ts"

export interface RegenerateRequest {
  /** The output directory of a finished run. */
  readonly outputDir: string
  /** 1-based: the segment to create again. */
  readonly segment: number
  /** A new prompt for the segment (written into the run's `plan.json`); default: the plan's. */
  readonly prompt?: string | undefined
  /** The run's reference image again, when it had one (its bytes must match the recorded checksum). */
  readonly inputReference?: string | undefined
  readonly maxDrift?: number | undefined
  readonly audioSeam?: AudioSeamMode | undefined
  readonly audioSeamSeconds?: number | undefined
  readonly retryFailed?: number | undefined
  readonly recreateLost?: boolean | undefined
}

/** What a regenerate will create and what it costs, before anything is paid for. */
export interface Preview {
  readonly outputDir: string
  /** The segments created again, in order. */
  readonly segments: ReadonlyArray<number>
  readonly seconds: number
  readonly estimatedCostUsd: number
  /** True when an interrupted regenerate of the same segment is being finished. */
  readonly resuming: boolean
}

const invalid = (field: string, given: string, allowed: string, fix: string) =>
  new InvalidRequest({ field, given, allowed, fix })

const decodePlan = Schema.decodeUnknownEffect(PlanJson)

/** The run's own request, rebuilt from its manifest, with this regenerate's settings. */
const requestOf = Effect.fnUntraced(function* (
  manifest: Manifest.Manifest,
  outputDir: string,
  input: RegenerateRequest
) {
  const fingerprint = manifest.request
  if (fingerprint.inputReference !== null && input.inputReference === undefined) {
    return yield* invalid(
      "inputReference",
      "nothing",
      "the reference image the run started from (its checksum is recorded)",
      "Pass the same `inputReference` again."
    )
  }
  const plan = fingerprint.plan === null ? undefined : yield* decodePlan(fingerprint.plan).pipe(Effect.orDie)
  const transition = Transition.parse(fingerprint.transition)
  return new LongVideoRequest({
    prompt: fingerprint.prompt,
    model: fingerprint.model,
    durations: [...fingerprint.durations],
    size: fingerprint.size,
    planModel: fingerprint.planModel,
    outputDir,
    saveSegments: true,
    mode: fingerprint.mode === "independent" ? "independent" : "chained",
    ...(isChainStrategy(fingerprint.chain) ? { chain: fingerprint.chain } : {}),
    ...(transition ? { transition } : {}),
    ...(plan ? { plan } : {}),
    ...(input.inputReference === undefined ? {} : { inputReference: input.inputReference }),
    ...(fingerprint.includeReference ? { includeReference: true } : {}),
    ...(fingerprint.anchor === "best" ? { anchor: "best" as const } : {}),
    ...(input.maxDrift === undefined ? {} : { maxDrift: input.maxDrift }),
    ...(input.audioSeam === undefined ? {} : { audioSeam: input.audioSeam }),
    ...(input.audioSeamSeconds === undefined ? {} : { audioSeamSeconds: input.audioSeamSeconds }),
    ...(input.retryFailed === undefined ? {} : { retryFailed: input.retryFailed }),
    ...(input.recreateLost === undefined ? {} : { recreateLost: input.recreateLost })
  })
})

/** The run's manifest, checked to be one a regenerate of `segment` can start from (or resume). */
const manifestFor = Effect.fnUntraced(function* (outputDir: string, input: RegenerateRequest) {
  const read = yield* Manifest.read(outputDir)
  if (Option.isNone(read)) {
    return yield* invalid(
      "outputDir",
      outputDir,
      "the output directory of a finished run (with .longsora/manifest.json)",
      "Point it at the `outputDir` of a run."
    )
  }
  const manifest = read.value
  const count = manifest.request.durations.length
  if (!Number.isInteger(input.segment) || input.segment < 1 || input.segment > count) {
    return yield* invalid("segment", String(input.segment), `a segment from 1 to ${count}`, "e.g. `segment` 2")
  }
  const pending = manifest.regenerating
  if (pending && pending.segment !== input.segment) {
    return yield* invalid(
      "segment",
      String(input.segment),
      `${pending.segment}, whose regenerate is unfinished`,
      `Finish it first: regenerate \`segment\` ${pending.segment} again (nothing made so far is created twice).`
    )
  }
  const unfinished = Array.from({ length: count }, (_, i) => i + 1).filter(
    (segment) => Manifest.segmentRecord(manifest, segment)?.state !== "completed"
  )
  if (!pending && (manifest.output === null || unfinished.length > 0)) {
    return yield* invalid(
      "outputDir",
      `${outputDir} (an unfinished run${unfinished.length > 0 ? `: segment ${unfinished.join(", ")} not made` : ""})`,
      "a finished run",
      "Finish it first by running the same generate command again; then regenerate."
    )
  }
  return manifest
})

const isChainStrategy = Schema.is(ChainStrategy)

/**
 * The segments to create again: k alone where no segment starts from another's clip (independent
 * mode; keyframes, whose seams are fixed images that stay), else k and every one after it.
 */
const segmentsToRedo = (manifest: Manifest.Manifest, segment: number): ReadonlyArray<number> => {
  const count = manifest.request.durations.length
  if (manifest.regenerating) return manifest.regenerating.segments
  return manifest.request.mode === "independent" || manifest.request.chain === "keyframes"
    ? [segment]
    : Array.from({ length: count - segment + 1 }, (_, i) => segment + i)
}

/** What `regenerate` would create and its cost; creates nothing. */
export const preview = Effect.fn("Regenerate.preview")(function* (input: RegenerateRequest) {
  const path = yield* Path.Path
  const outputDir = path.resolve(input.outputDir)
  const manifest = yield* manifestFor(outputDir, input)
  const request = yield* requestOf(manifest, outputDir, input)
  const validated = yield* validate(request, { createOutputDir: false })
  // A new prompt is checked here too, so it is refused before the cost is asked about.
  if (input.prompt !== undefined) yield* withPrompt(manifest, input.segment, input.prompt)
  // A resumed regenerate pays only for what it has not yet made.
  const toMake = segmentsToRedo(manifest, input.segment).filter(
    (segment) => !manifest.regenerating || Manifest.segmentRecord(manifest, segment)?.jobId === undefined
  )
  const seconds = toMake.reduce((sum, segment) => sum + validated.durations[segment - 1]!, 0)
  const result: Preview = {
    outputDir,
    segments: segmentsToRedo(manifest, input.segment),
    seconds,
    estimatedCostUsd: usd(seconds * validated.usdPerSecond),
    resuming: manifest.regenerating !== undefined
  }
  return result
})

/** The run's plan with `prompt` as segment `segment`'s, refused where the prompt is not the plan's to change. */
const withPrompt = Effect.fnUntraced(function* (manifest: Manifest.Manifest, segment: number, prompt: string) {
  if (segment === 1) {
    return yield* invalid(
      "prompt",
      prompt,
      "a new prompt for segment 2 or later",
      "Segment 1's prompt is the request's own; regenerate it without `prompt`, or start a new run."
    )
  }
  if (manifest.request.plan !== null || manifest.plan === null) {
    return yield* invalid(
      "prompt",
      prompt,
      "only for runs whose plan was written by the planner (a given plan is part of the request)",
      "Regenerate without `prompt`, or start a new run with the edited plan."
    )
  }
  return new Plan({
    brief: manifest.plan.brief,
    segments: manifest.plan.segments.map((planned, i) =>
      i === segment - 1 ? new PlannedSegment({ prompt, seconds: planned.seconds }) : planned
    ) as unknown as Plan["segments"]
  })
})

/**
 * Sets the segments aside: each paid-for clip is renamed `segment_NN.vK.mp4` and listed in `versions`,
 * its record cleared so the run creates it again. Renames go first and are recognised when done, so a
 * set-aside cut short by a kill is completed, not repeated, by the next regenerate.
 */
const setAside = Effect.fnUntraced(function* (outputDir: string, segments: ReadonlyArray<number>) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  yield* RunLock.acquireUnlessHeld(outputDir)
  const manifest = yield* manifestFor(outputDir, { outputDir, segment: segments[0]! })
  const at = yield* Clock.currentTimeMillis
  const versions: Array<Manifest.SegmentVersion> = [...(manifest.versions ?? [])]
  for (const segment of segments) {
    const record = Manifest.segmentRecord(manifest, segment)
    if (!record?.jobId) continue
    const version = Manifest.currentVersion(manifest, segment)
    const file = record.file
    const kept = path.join(
      path.dirname(file ?? path.join(outputDir, "segments", "x")),
      `${segmentName(segment)}.v${version}.mp4`
    )
    const moved = file !== undefined && (yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))
    if (moved) {
      yield* fs
        .rename(file, kept)
        .pipe(
          Effect.mapError(
            (cause) => new OutputError({ path: file, reason: "could not keep the earlier version", cause })
          )
        )
    }
    const exists = yield* fs.exists(kept).pipe(Effect.orElseSucceed(() => false))
    // The trimmed copy is made from the clip again; the paid-for clip itself is what is kept.
    if (record.anchor?.trimmed) yield* fs.remove(record.anchor.trimmed).pipe(Effect.ignore)
    versions.push({
      segment,
      version,
      jobId: record.jobId,
      seconds: record.seconds,
      ...(exists ? { file: kept } : {}),
      ...(record.sha256 ? { sha256: record.sha256 } : {}),
      ...(manifest.plan ? { prompt: manifest.plan.segments[segment - 1]!.prompt } : {}),
      at
    })
  }
  const redo = new Set(segments)
  const store = yield* Manifest.make(
    outputDir,
    new Manifest.Manifest({
      ...manifest,
      segments: manifest.segments.filter((record) => !redo.has(record.segment)),
      versions,
      regenerating: { segment: segments[0]!, segments: [...segments] }
    })
  )
  return yield* store.get
}, Effect.scoped)

/** Marks the regenerate finished once the output is joined (nothing to do when none is pending). */
export const finish = Effect.fnUntraced(function* (outputDir: string) {
  yield* RunLock.acquireUnlessHeld(outputDir)
  const read = yield* Manifest.read(outputDir)
  if (Option.isNone(read)) return
  const { regenerating: _done, ...rest } = read.value
  yield* Manifest.make(outputDir, new Manifest.Manifest(rest))
}, Effect.scoped)

/**
 * Sets the segments to make again aside (and writes a new prompt into the plan), after checking
 * everything; returns the run's request. What is left is an ordinary resumed run of that request,
 * then `finish`: `regenerate` does both here, a server runs them as a job.
 */
export const begin = Effect.fn("Regenerate.begin")(function* (input: RegenerateRequest) {
  const path = yield* Path.Path
  const outputDir = path.resolve(input.outputDir)
  const manifest = yield* manifestFor(outputDir, input)
  const request = yield* requestOf(manifest, outputDir, input)
  // Everything is checked (the request, the prompt) before the segments are set aside.
  yield* validate(request, { createOutputDir: false })
  const plan = input.prompt === undefined ? undefined : yield* withPrompt(manifest, input.segment, input.prompt)
  if (!manifest.regenerating) yield* setAside(outputDir, segmentsToRedo(manifest, input.segment))
  if (plan) {
    const planFile = path.join(outputDir, PlanFile.fileName)
    yield* PlanFile.write(planFile, plan).pipe(
      Effect.mapError((cause) => new OutputError({ path: planFile, reason: "could not write the plan", cause }))
    )
  }
  return request
})

/** Creates segment `segment` again (and in chained mode the ones after it) and joins the output again. */
export const regenerate = Effect.fn("Regenerate.regenerate")(function* (input: RegenerateRequest) {
  const request = yield* begin(input)
  const result = yield* LongVideo.generate(request)
  yield* finish(request.outputDir)
  return result
})
