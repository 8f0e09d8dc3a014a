/**
 * A drop-in extension of the official `openai` client: everything it does still works, and
 * `createVideo` makes videos longer than one clip, with this client's key, base URL, organisation
 * and project.
 */
import { type LongVideoResult, Progress, type Regenerate } from "@longsora/core"
import { Effect } from "effect"
import BaseOpenAI from "openai"
import { type CreateVideoParams, modelIdOf, planModelIdOf, toRequest } from "./CreateVideoParams.ts"
import * as LongSora from "./LongSora.ts"

/** Per-call options; the connection (key, base URL, organisation, project, timeout) is the client's own. */
export interface CreateVideoOptions
  extends Omit<LongSora.Options, "apiKey" | "baseURL" | "organization" | "project" | "timeoutMs"> {}

const verboseReporter = Progress.callbackReporter((event) => {
  const detail = "segment" in event ? ` segment ${event.segment}` : ""
  process.stderr.write(`[longsora] ${event._tag}${detail}\n`)
})

export class OpenAI extends BaseOpenAI {
  /**
   * Plans, generates and joins a long video; resolves to where everything was written, the plan,
   * the job ids, the seconds billed and the estimated cost. Rejects with core's typed errors.
   */
  createVideo(params: CreateVideoParams, options: CreateVideoOptions = {}): Promise<LongVideoResult.LongVideoResult> {
    // AI SDK model objects are used as they are, under the id the request names them by.
    const objects = {
      ...(typeof params.model === "object"
        ? { videoModels: { ...options.videoModels, [modelIdOf(params.model)!]: params.model } }
        : {}),
      ...(typeof params.planModel === "object"
        ? { languageModels: { ...options.languageModels, [planModelIdOf(params.planModel)!]: params.planModel } }
        : {})
    }
    const imageModel = params.imageModel === undefined ? {} : { imageModel: params.imageModel }
    const services = LongSora.layerFromClient(this, { ...options, ...objects, ...imageModel })
    const reporter = params.onProgress
      ? Progress.callbackReporter(params.onProgress)
      : params.verbose
        ? verboseReporter
        : undefined
    const program = Effect.gen(function* () {
      const request = yield* toRequest(params)
      return yield* LongSora.generate(request)
    }).pipe(
      Effect.scoped,
      reporter ? Effect.provideService(Progress.ProgressReporter, reporter) : (effect) => effect,
      Effect.provide(services)
    )
    return Effect.runPromise(program, params.signal ? { signal: params.signal } : undefined)
  }

  /**
   * Makes segment `segment` of a finished run in `outputDir` again (chained: also every segment after
   * it), keeps the earlier versions (`segments/segment_NN.vK.mp4`) and joins the output again. See
   * `LongSora.regeneratePreview` for what it creates and costs before calling it.
   */
  regenerate(
    params: Regenerate.RegenerateRequest & {
      readonly onProgress?: (event: Progress.ProgressEvent) => void
      readonly signal?: AbortSignal
    },
    options: CreateVideoOptions = {}
  ): Promise<LongVideoResult.LongVideoResult> {
    const { onProgress, signal, ...request } = params
    const program = LongSora.regenerate(request).pipe(
      onProgress ? Effect.provideService(Progress.ProgressReporter, Progress.callbackReporter(onProgress)) : (e) => e,
      Effect.provide(LongSora.layerFromClient(this, options))
    )
    return Effect.runPromise(program, signal ? { signal } : undefined)
  }
}

/** The same client under the name the Python original's async users know. */
export const AsyncOpenAI = OpenAI
export type AsyncOpenAI = OpenAI
