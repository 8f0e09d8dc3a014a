/**
 * Every ffmpeg service over one shared ffmpeg discovery and probe: what an application usually provides
 * (`FrameExtractor`, `Combiner`, and the seam tools `AnchorPicker`, `DriftMeter`, `AudioBlender`).
 */
import type { Anchor, AudioSeam, Combiner, Drift, FrameExtractor } from "@longsora/core"
import { type Config, Layer } from "effect"
import * as AnchorFrame from "./AnchorFrame.ts"
import * as AudioSeamBlend from "./AudioSeam.ts"
import * as DriftMeter from "./Drift.ts"
import * as FfmpegBinary from "./FfmpegBinary.ts"
import * as FfmpegCombiner from "./FfmpegCombiner.ts"
import * as FfmpegFrameExtractor from "./FfmpegFrameExtractor.ts"
import * as Probe from "./Probe.ts"

export type Services =
  | FrameExtractor.FrameExtractor
  | Combiner.Combiner
  | Anchor.AnchorPicker
  | Drift.DriftMeter
  | AudioSeam.AudioBlender
  | Probe.Probe
  | FfmpegBinary.FfmpegBinary

const services = (options: FfmpegCombiner.Options) =>
  Layer.mergeAll(
    AnchorFrame.layerWithoutDependencies,
    DriftMeter.layerWithoutDependencies,
    AudioSeamBlend.layerWithoutDependencies,
    FfmpegCombiner.layerWithoutDependencies(options)
  ).pipe(Layer.provideMerge(FfmpegFrameExtractor.layerWithoutDependencies), Layer.provideMerge(Probe.layer))

/** Every service, with ffmpeg found from `options` or `PATH`. */
export const layer = (options: FfmpegBinary.Options & FfmpegCombiner.Options = {}): Layer.Layer<Services> =>
  services(options).pipe(Layer.provideMerge(FfmpegBinary.layer(options)))

/** Same, reading `FFMPEG_PATH` / `FFPROBE_PATH` first. */
export const layerConfig = (options: FfmpegCombiner.Options = {}): Layer.Layer<Services, Config.ConfigError> =>
  services(options).pipe(Layer.provideMerge(FfmpegBinary.layerConfig))
