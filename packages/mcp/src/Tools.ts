/**
 * The tools: plan, estimate, generate, status, inspect and regenerate. Each is a thin call into core
 * (preview, validation) or ffmpeg-combiner (inspection), or into the run store (`RunStore`: a
 * directory of runs, or the server's jobs) for starting and following runs; they add no rules of their
 * own, and their failures are core's typed errors with the messages the CLI prints.
 */
import { Errors, LongVideo, type LongVideoRequest, Transition, Validation } from "@longsora/core"
import { FfmpegBinary, Inspection, Probe } from "@longsora/ffmpeg-combiner"
import type { LongSora } from "@longsora/sdk"
import { Effect, FileSystem, Layer, Path, Result } from "effect"
import type * as DirectoryRuns from "./DirectoryRuns.ts"
import { nameOf, toRequest, usd } from "./Requests.ts"
import type * as RunStore from "./RunStore.ts"
import * as ToolParams from "./ToolParams.ts"
import { register } from "./ToolRegistry.ts"

/** The services for a preview (plan, estimate): nothing is written. */
export type ServiceRequest = DirectoryRuns.ServiceRequest

export interface Environment {
  /** Where runs are started, found and followed. */
  readonly runs: RunStore.RunStore
  readonly confirmAbove: number | undefined
  /** The services for one preview, as the CLI wires them for one command. */
  readonly services: (request: ServiceRequest) => Layer.Layer<LongSora.Services, unknown>
}

/** Previews name the directory a run would get; nothing is written there. */
const previewServices = (env: Environment, request: LongVideoRequest.LongVideoRequest, imageModel?: string) =>
  env.services({
    purpose: "preview",
    model: request.model,
    planModel: request.planModel,
    outputDir: request.outputDir,
    imageModel
  })

const previewDir = (env: Environment, params: ToolParams.PlanParams) => env.runs.directoryOf(nameOf(params))

const planTool = (env: Environment) =>
  register({
    name: "plan",
    title: "Plan a long video",
    description:
      "Split a long video into segments the video model accepts and write one prompt per segment (nothing is generated or billed; " +
      "the planner model is called). Show the plan to the user; pass it, edited if they like, to generate's plan argument.",
    parameters: ToolParams.PlanParams,
    hints: { readOnlyHint: true, openWorldHint: true },
    handle: (params) =>
      Effect.gen(function* () {
        const request = yield* toRequest(params, yield* previewDir(env, params))
        const preview = yield* LongVideo.preview(request).pipe(
          Effect.provide(previewServices(env, request, params.imageModel))
        )
        if (Result.isFailure(preview.plan)) return yield* preview.plan.failure
        const plan = preview.plan.success
        return {
          summary: [
            `Plan: ${preview.durations.join(" + ")} s at ${preview.size}, estimated ${usd(preview.estimatedCostUsd)}.`,
            `brief: ${plan.brief}`,
            ...plan.segments.map((segment, i) => `${i + 1}. (${segment.seconds} s) ${segment.prompt}`)
          ].join("\n"),
          structured: {
            plan: { brief: plan.brief, segments: plan.segments.map(({ prompt, seconds }) => ({ prompt, seconds })) },
            durations: preview.durations,
            size: preview.size,
            usdPerSecond: preview.usdPerSecond,
            estimatedCostUsd: preview.estimatedCostUsd
          }
        }
      })
  })

const estimateTool = (env: Environment) =>
  register({
    name: "estimate",
    title: "Estimate a long video",
    description:
      "The split into segments and the cost of a long video, without planning or generating anything (no model is called, nothing is billed).",
    parameters: ToolParams.EstimateParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) =>
      Effect.gen(function* () {
        const run = nameOf(params)
        const request = yield* toRequest(params, yield* previewDir(env, params))
        const validated = yield* Validation.validate(request, { createOutputDir: false }).pipe(
          Effect.provide(previewServices(env, request, params.imageModel))
        )
        const needsConfirmation = env.confirmAbove !== undefined && validated.estimatedCostUsd > env.confirmAbove
        return {
          summary:
            `${validated.durations.length} segments: ${validated.durations.join(" + ")} s at ${validated.size}, ` +
            `estimated ${usd(validated.estimatedCostUsd)} (${usd(validated.usdPerSecond)}/s).` +
            (needsConfirmation ? ` Above ${usd(env.confirmAbove!)}: generate asks the user to confirm.` : ""),
          structured: {
            run,
            durations: validated.durations,
            size: validated.size,
            model: validated.capabilities.model,
            usdPerSecond: validated.usdPerSecond,
            estimatedCostUsd: validated.estimatedCostUsd,
            confirmationThresholdUsd: env.confirmAbove ?? null,
            needsConfirmation
          }
        }
      })
  })

const generateTool = (env: Environment) =>
  register({
    name: "generate",
    title: "Generate a long video",
    description:
      "Start making a long video and return at once with the run's name (its directory under the runs directory); it keeps " +
      "rendering in the background for minutes. Follow it with status (watch: true). Billed: above the server's threshold " +
      "the user is asked first. The same request under the same run name resumes a stopped run instead of paying again.",
    parameters: ToolParams.GenerateParams,
    hints: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handle: (params) => env.runs.generate(params)
  })

const statusTool = (env: Environment) =>
  register({
    name: "status",
    title: "Status of a run",
    description:
      "Progress of a run per segment (state, job id, the provider's percentage), read from the run's manifest, so it also " +
      "finds runs of earlier server processes. With watch: true it waits while the run works and sends MCP progress " +
      "notifications to the request's progressToken, answering when the run ends (or after waitSeconds).",
    parameters: ToolParams.StatusParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) => env.runs.status(params)
  })

const notFinished = (name: string) =>
  new Errors.InvalidRequest({
    field: "run",
    given: `${name}, which has no output video yet`,
    allowed: "a finished run",
    fix: "Call status to see where it is; generate with the same request resumes it."
  })

const inspectionLayer = Probe.layer.pipe(Layer.provideMerge(FfmpegBinary.layerConfig))

const inspectTool = (env: Environment) =>
  register({
    name: "inspect",
    title: "Inspect a finished run",
    description:
      "Check a finished run's video: streams, audio/video sync, and how visible each seam is (SSIM and PSNR of the frames " +
      "either side, against the median inside segments); returns the contact sheet of every seam as an image.",
    parameters: ToolParams.InspectParams,
    hints: { readOnlyHint: true, openWorldHint: false },
    handle: (params) =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const { outputDir, manifest, shown } = yield* env.runs.files(params.run)
        const output = manifest.output
        if (output === null) return yield* notFinished(params.run)
        const outputShown = shown?.output ?? output
        const { request } = manifest
        // The manifest records the transition in effect, in the form Transition.format writes.
        const transition = Transition.parse(request.transition) ?? Transition.cut
        const report = yield* Inspection.inspect(
          output,
          request.durations,
          transition,
          path.join(outputDir, "seams.png")
        ).pipe(Effect.provide(inspectionLayer))
        const sheet = report.contactSheet
        const image = sheet ? yield* fs.readFile(sheet) : undefined
        const sheetShown = sheet ? (shown?.file("seams.png") ?? sheet) : undefined
        const inSync = report.avDifferenceSeconds < report.frameSeconds
        const worst = [...report.seams.seams].sort((a, b) => a.ssimRatio - b.ssimRatio)[0]
        return {
          summary: [
            `${outputShown}: ${report.media.duration.toFixed(3)} s, ${request.durations.join(" + ")} s segments, audio/video ${inSync ? "in sync" : "NOT in sync"}.`,
            `Inside segments: median SSIM ${report.seams.medianSsim.toFixed(4)}, median PSNR ${report.seams.medianPsnr.toFixed(2)} dB.`,
            worst
              ? `Least smooth seam: ${worst.segment}→${worst.segment + 1} at ${worst.seconds.toFixed(3)} s, SSIM ${(worst.ssimRatio * 100).toFixed(1)} % of the median.`
              : "One segment: no seams.",
            ...(sheetShown ? [`Contact sheet (one row per seam, before | after): ${sheetShown}`] : [])
          ].join("\n"),
          structured: {
            run: params.run,
            output: outputShown,
            durationSeconds: report.media.duration,
            avDifferenceSeconds: report.avDifferenceSeconds,
            frameSeconds: report.frameSeconds,
            inSync,
            seams: report.seams,
            contactSheet: sheetShown ?? null
          },
          images: image ? [{ data: image, mimeType: "image/png" }] : []
        }
      })
  })

const regenerateTool = (regenerate: NonNullable<RunStore.RunStore["regenerate"]>) =>
  register({
    name: "regenerate",
    title: "Make one segment again",
    description:
      "Make one segment of a finished run again, optionally with a new prompt (in chained mode the segments after it too, " +
      "since each starts from the previous one's last frame), and join the video again; earlier versions are kept. Returns " +
      "at once with the cost; follow it with status (watch: true). Billed: above the server's threshold the user is asked first.",
    parameters: ToolParams.RegenerateParams,
    hints: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handle: regenerate
  })

/** Registers every tool (`regenerate` where the run store can make a segment again). */
export const registerAll = (env: Environment) =>
  Effect.all(
    [
      planTool(env),
      estimateTool(env),
      generateTool(env),
      statusTool(env),
      inspectTool(env),
      ...(env.runs.regenerate ? [regenerateTool(env.runs.regenerate)] : [])
    ],
    { discard: true }
  )
