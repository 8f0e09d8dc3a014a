/** What `longsora inspect DIR` runs (loaded by its handler): durations, streams, A/V difference, seam quality and a contact sheet. */
import { Errors, Manifest, Transition } from "@longsora/core"
import { FfmpegBinary, Inspection, Probe } from "@longsora/ffmpeg-combiner"
import { Console, Effect, Layer, Option, Path } from "effect"
import type { InspectFlags } from "./InspectCommand.ts"
import { text } from "./InspectReport.ts"

const notARun = (dir: string) =>
  new Errors.InvalidRequest({
    field: "DIR",
    given: dir,
    allowed: "an output directory of longsora generate (with .longsora/manifest.json and output.mp4)",
    fix: "Point it at the --output directory of a finished run."
  })

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
    // A segment trimmed after its anchor frame lasts less than it was made.
    const durations = Manifest.outputDurations(manifest.value)
    const report = yield* Inspection.inspect(output, durations, transition, path.join(absolute, "seams.png"))
    yield* Console.log(json ? JSON.stringify({ _tag: "Inspection", ...report }) : text(report, durations))
  },
  Effect.provide(Probe.layer.pipe(Layer.provideMerge(FfmpegBinary.layerConfig)))
)
