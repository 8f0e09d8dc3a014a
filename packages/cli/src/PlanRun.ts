/** What `longsora plan` runs (loaded by its handler): writes an editable plan.json that `generate --plan` uses as it is. */
import { LongVideo, LongVideoRequest } from "@longsora/core"
import { Console, Effect, Option, Path, Result } from "effect"
import type { PlanFlags } from "./PlanCommand.ts"
import * as PlanFile from "./PlanFile.ts"
import * as RequestOptions from "./RequestOptions.ts"
import * as Services from "./Services.ts"

export const run = Effect.fnUntraced(function* (input: PlanFlags) {
  // No video is written, so neither an output directory nor a transition applies (nor an output.mp4 to guard).
  const flags = { ...input, output: LongVideoRequest.defaults.outputDir, transition: Option.none() }
  const request = yield* RequestOptions.toRequest(input.prompt, flags, { saveSegments: true, force: true })
  const declared = yield* RequestOptions.declaredModel(flags)
  const target = {
    offline: input.offline,
    baseUrl: input.baseUrl,
    models: declared ? [declared] : [],
    model: input.model,
    planModel: input.planModel,
    imageModel: input.imageModel
  }
  const path = (yield* Path.Path).resolve(input.out)
  yield* PlanFile.checkWritable(path)
  const preview = yield* LongVideo.preview(request).pipe(Effect.provide(Services.layer(target)))
  if (Result.isFailure(preview.plan)) return yield* preview.plan.failure
  yield* PlanFile.write(path, preview.plan.success)
  yield* Console.log(
    input.json
      ? JSON.stringify({
          _tag: "PlanWritten",
          path,
          plan: preview.plan.success,
          estimatedCostUsd: preview.estimatedCostUsd
        })
      : `plan written to ${path} (${preview.durations.join(" + ")} s, estimated $${preview.estimatedCostUsd.toFixed(2)}); edit it, then run: longsora generate --plan ${input.out}`
  )
})
