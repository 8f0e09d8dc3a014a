/** What `longsora inspect DIR` runs (loaded by its handler): durations, streams, A/V difference, seam quality and a contact sheet. */
import { Errors, Manifest, Transition } from "@longsora/core"
import { FfmpegBinary, Inspection, Probe } from "@longsora/ffmpeg-combiner"
import { Console, Effect, Layer, Option, Path } from "effect"
import type { InspectFlags } from "./InspectCommand.ts"

const notARun = (dir: string) =>
  new Errors.InvalidRequest({
    field: "DIR",
    given: dir,
    allowed: "an output directory of longsora generate (with .longsora/manifest.json and output.mp4)",
    fix: "Point it at the --output directory of a finished run."
  })

const seconds = (n: number) => `${n.toFixed(3)} s`

const text = (report: Inspection.Report, durations: ReadonlyArray<number>) => {
  const { media, seams } = report
  const video = media.video!
  const audio = media.audio
  return [
    `file: ${media.path} (${(media.size / 1_000_000).toFixed(1)} MB, ${seconds(media.duration)})`,
    `video: ${video.codec} ${video.width}x${video.height} ${video.pixFmt ?? ""} ${video.fps.toFixed(2)} fps, ${video.frames} frames, ${seconds(video.duration)}`,
    audio
      ? `audio: ${audio.codec} ${audio.sampleRate} Hz ${audio.channels} ch, ${seconds(audio.duration)}`
      : "audio: none",
    `A/V difference: ${seconds(report.avDifferenceSeconds)} (one frame is ${seconds(report.frameSeconds)}; ${report.avDifferenceSeconds < report.frameSeconds ? "in sync" : "MORE THAN ONE FRAME"})`,
    `segments: ${durations.join(" + ")} s`,
    `inside segments: median SSIM ${seams.medianSsim.toFixed(4)}, median PSNR ${seams.medianPsnr.toFixed(2)} dB over ${seams.pairs} frame pairs`,
    ...seams.seams.map(
      (s) =>
        `seam ${s.segment}→${s.segment + 1} at ${seconds(s.seconds)} (frame ${s.frame}): SSIM ${s.ssim.toFixed(4)} (${(s.ssimRatio * 100).toFixed(1)} % of the median), PSNR ${Number.isFinite(s.psnr) ? `${s.psnr.toFixed(2)} dB` : "∞ (identical frames: a duplicate)"}`
    ),
    ...(report.contactSheet ? [`contact sheet: ${report.contactSheet}`] : [])
  ].join("\n")
}

export const run = Effect.fnUntraced(
  function* ({ dir, json }: InspectFlags) {
    const path = yield* Path.Path
    const absolute = path.resolve(dir)
    const manifest = yield* Manifest.read(absolute)
    if (Option.isNone(manifest)) return yield* notARun(dir)
    const { request } = manifest.value
    // The manifest records the transition in effect, in the form Transition.format writes.
    const transition = Transition.parse(request.transition) ?? Transition.cut
    const output = manifest.value.output ?? path.join(absolute, "output.mp4")
    const report = yield* Inspection.inspect(output, request.durations, transition, path.join(absolute, "seams.png"))
    yield* Console.log(json ? JSON.stringify({ _tag: "Inspection", ...report }) : text(report, request.durations))
  },
  Effect.provide(Probe.layer.pipe(Layer.provideMerge(FfmpegBinary.layerConfig)))
)
