/** Reads images and frames: checks references (images and videos), fits them to a size, extracts a clip's last frame. */
import { Context, type Effect } from "effect"
import type { FrameError, MissingDependency } from "./Errors.ts"

export interface ImageInfo {
  readonly width: number
  readonly height: number
  /** `image/jpeg`, `image/png`, `image/webp`, … */
  readonly mimeType: string
}

export interface VideoInfo {
  /** Displayed size of the video stream. */
  readonly width: number
  readonly height: number
  /** Length of the video stream. */
  readonly seconds: number
  readonly fps: number
  readonly hasAudio: boolean
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
    /**
     * The video's stream figures, after decoding its last frame: validation relies on it to refuse a file with no
     * video stream, or whose end does not decode, before anything is written or paid for.
     */
    readonly inspectVideo: (path: string) => Effect.Effect<VideoInfo, FrameError>
    readonly fitImage: (image: string, options: FitOptions) => Effect.Effect<FittedImage, FrameError>
    /** The clip's last decoded frame, fitted to `size`. */
    readonly lastFrame: (video: string, options: FitOptions) => Effect.Effect<FittedImage, FrameError>
  }
>()("@longsora/core/FrameExtractor") {}
