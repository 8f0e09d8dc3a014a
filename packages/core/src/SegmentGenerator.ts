/**
 * The video provider. Generation is two steps so that a job accepted by the provider is never paid
 * for twice: `submit` creates the (billable) job, `complete` waits for it and downloads the clip,
 * and can be called again for the same job after an interruption.
 */
import { Context, type Effect } from "effect"
import type { ProviderCapabilities } from "./Capabilities.ts"
import type { GenerationError, UnknownModel } from "./Errors.ts"

export interface SegmentSpec {
  /** 1-based position in the video. */
  readonly segment: number
  readonly prompt: string
  readonly model: string
  readonly seconds: number
  readonly size: string
  /** An image of exactly `size` to use as the first frame. */
  readonly reference?: string | undefined
  /** An image of exactly `size` the clip must end on (models whose capabilities declare `lastFrameImage`). */
  readonly lastFrame?: string | undefined
  /**
   * Native extension (capabilities' `extension`): continue the provider's finished job `jobId`, whose
   * video lasts `sourceSeconds`, by `seconds`. The job's clip is then the stitched video (or only the
   * new part, as the capability's `returns` says).
   */
  readonly extend?: { readonly jobId: string; readonly sourceSeconds: number } | undefined
  /**
   * Set when an earlier run sent this create and never learnt its answer: the provider should adopt
   * the job that create made, if it can prove which one it is, instead of paying for a new one.
   */
  readonly lostCreate?: LostCreate | undefined
}

/** What is known of a create whose answer was lost, to tell its job from everybody else's. */
export interface LostCreate {
  /** When the create was sent (epoch ms); its job was made after this, within the create's timeout. */
  readonly sentAt: number
  /** Jobs that belong to other segments or other runs on this machine: never adopted. */
  readonly isOwned: (jobId: string) => boolean
}

export interface SegmentJob {
  readonly segment: number
  readonly id: string
  readonly seconds: number
}

export interface GeneratedClip {
  readonly segment: number
  readonly jobId: string
  readonly path: string
  /** Seconds the provider bills for the clip. */
  readonly seconds: number
  /** SHA-256 of the file, when the provider computed it while downloading. */
  readonly sha256?: string | undefined
}

/**
 * A clip whose last frame can be read before the whole file has arrived (`completeEarly`): the provider fetched
 * its header and last keyframe interval first (HTTP Range), and finishes the rest in `rest`.
 */
export interface EarlyClip {
  /**
   * A file holding (at their own offsets) every byte the last frame needs; `undefined` when `rest` is done.
   * Valid until `rest` runs (finishing renames it into the destination): read the frame first.
   */
  readonly preview: string | undefined
  /** Finishes the download into the destination: the clip as `complete` returns it. Run it once. */
  readonly rest: Effect.Effect<GeneratedClip, GenerationError>
}

export class SegmentGenerator extends Context.Service<
  SegmentGenerator,
  {
    readonly capabilities: (model: string) => Effect.Effect<ProviderCapabilities, UnknownModel>
    readonly submit: (spec: SegmentSpec) => Effect.Effect<SegmentJob, GenerationError>
    /** Waits for the job, reporting progress, and writes the clip to `destination`. */
    readonly complete: (job: SegmentJob, destination: string) => Effect.Effect<GeneratedClip, GenerationError>
    /**
     * `complete`, but returning as soon as the clip's last frame can be extracted (optional: a provider whose
     * downloads cannot start with the end leaves it out). The next segment's create then overlaps the download.
     */
    readonly completeEarly?:
      | ((job: SegmentJob, destination: string) => Effect.Effect<EarlyClip, GenerationError>)
      | undefined
  }
>()("@longsora/core/SegmentGenerator") {}
