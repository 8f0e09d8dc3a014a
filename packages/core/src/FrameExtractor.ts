/** Reads images and frames: checks references, fits them to a size, extracts a clip's last frame. */
import { Context, type Effect } from "effect"
import type { FrameError, MissingDependency } from "./Errors.ts"

export interface ImageInfo {
  readonly width: number
  readonly height: number
  /** `image/jpeg`, `image/png`, `image/webp`, … */
  readonly mimeType: string
}

export interface FittedImage {
  readonly path: string
  readonly width: number
  readonly height: number
  /** True when the source's aspect differed and it was cropped (centre) rather than distorted. */
  readonly cropped: boolean
}

export interface FitOptions {
  /** `WIDTHxHEIGHT` the result must have exactly. */
  readonly size: string
  readonly destination: string
}

export class FrameExtractor extends Context.Service<
  FrameExtractor,
  {
    /** Fails with `MissingDependency` when the tools it needs are absent; run before any paid call. */
    readonly preflight: Effect.Effect<void, MissingDependency>
    /**
     * The image's size and type, after decoding every pixel: validation relies on it to refuse a truncated or
     * corrupt reference before anything is written or paid for (a header alone says nothing about the rest).
     */
    readonly inspectImage: (path: string) => Effect.Effect<ImageInfo, FrameError>
    readonly fitImage: (image: string, options: FitOptions) => Effect.Effect<FittedImage, FrameError>
    /** The clip's last decoded frame, fitted to `size`. */
    readonly lastFrame: (video: string, options: FitOptions) => Effect.Effect<FittedImage, FrameError>
  }
>()("@longsora/core/FrameExtractor") {}
