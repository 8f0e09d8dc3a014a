/** Both services over one shared ffmpeg discovery and probe: what an application usually provides. */
import type { Combiner, FrameExtractor } from "@longsora/core"
import { type Config, Layer } from "effect"
import * as FfmpegBinary from "./FfmpegBinary.ts"
import * as FfmpegCombiner from "./FfmpegCombiner.ts"
import * as FfmpegFrameExtractor from "./FfmpegFrameExtractor.ts"
import * as Probe from "./Probe.ts"

const services = (options: FfmpegCombiner.Options) =>
  Layer.mergeAll(FfmpegFrameExtractor.layerWithoutDependencies, FfmpegCombiner.layerWithoutDependencies(options)).pipe(
    Layer.provideMerge(Probe.layer)
  )

/** `FrameExtractor` + `Combiner` (+ `Probe`), with ffmpeg found from `options` or `PATH`. */
export const layer = (
  options: FfmpegBinary.Options & FfmpegCombiner.Options = {}
): Layer.Layer<FrameExtractor.FrameExtractor | Combiner.Combiner | Probe.Probe | FfmpegBinary.FfmpegBinary> =>
  services(options).pipe(Layer.provideMerge(FfmpegBinary.layer(options)))

/** Same, reading `FFMPEG_PATH` / `FFPROBE_PATH` first. */
export const layerConfig = (
  options: FfmpegCombiner.Options = {}
): Layer.Layer<
  FrameExtractor.FrameExtractor | Combiner.Combiner | Probe.Probe | FfmpegBinary.FfmpegBinary,
  Config.ConfigError
> => services(options).pipe(Layer.provideMerge(FfmpegBinary.layerConfig))
