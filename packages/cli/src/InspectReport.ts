/** `longsora inspect`'s text: streams, A/V sync, seam quality, the drift table and the audio at each seam. */
import type { Inspection } from "@longsora/ffmpeg-combiner"

const seconds = (n: number) => `${n.toFixed(3)} s`
const pad = (text: string, width: number) => text.padStart(width)

/** One row per segment: how far its look moved from segment 1's. */
export const driftTable = (report: Inspection.Report): ReadonlyArray<string> => [
  "drift from segment 1 (0 = same look, 1 = as far as it goes; drift = max of colour, brightness, contrast):",
  `  ${["segment", "colour", "bright", "contrast", "structure", "drift"].map((h) => pad(h, 9)).join(" ")}`,
  ...report.drift.map(
    ({ segment, figures: f }) =>
      `  ${pad(String(segment), 9)} ${[f.colour, f.brightness, f.contrast, f.structure, f.drift]
        .map((value) => pad(value.toFixed(3), 9))
        .join(" ")}`
  )
]

/** One line per seam: the audio's click, level and spectral steps against the in-segment baseline. */
export const audioLines = (report: Inspection.Report): ReadonlyArray<string> =>
  report.audioSeams.map(
    (s) =>
      `audio seam ${s.segment}→${s.segment + 1} at ${seconds(s.seconds)}: click ${s.click.toFixed(2)}× the in-segment steps ` +
      `(${s.withinBaseline ? "within the baseline" : "A CLICK"}), level step ${s.levelStepDb.toFixed(1)} dB ` +
      `(baseline ${s.levelBaselineDb.toFixed(1)} dB), spectral change ${s.spectralChange.toFixed(2)} (baseline ${s.spectralBaseline.toFixed(2)})`
  )

export const text = (report: Inspection.Report, durations: ReadonlyArray<number>): string => {
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
    `segments: ${durations.map((d) => Number(d.toFixed(3))).join(" + ")} s`,
    `inside segments: median SSIM ${seams.medianSsim.toFixed(4)}, median PSNR ${seams.medianPsnr.toFixed(2)} dB over ${seams.pairs} frame pairs`,
    ...seams.seams.map(
      (s) =>
        `seam ${s.segment}→${s.segment + 1} at ${seconds(s.seconds)} (frame ${s.frame}): SSIM ${s.ssim.toFixed(4)} (${(s.ssimRatio * 100).toFixed(1)} % of the median), PSNR ${Number.isFinite(s.psnr) ? `${s.psnr.toFixed(2)} dB` : "∞ (identical frames: a duplicate)"}`
    ),
    ...audioLines(report),
    ...driftTable(report),
    ...(report.contactSheet
      ? [`contact sheet: ${report.contactSheet} (red bar under each later frame: its drift)`]
      : [])
  ].join("\n")
}
