/**
 * The structured output the planning model must return, as a zod schema for `zodTextFormat`
 * (strict mode: every field required, no extras), and its mapping to core's `Plan`.
 */
import { Plan, type Planner } from "@longsora/core"
import { z } from "zod"

export const Brief = z.object({
  subject: z.string().describe("Who or what the video is about, described identically in every segment"),
  look: z.string().describe("Visual style: medium, palette, texture, era"),
  camera: z.string().describe("Lens, framing and movement conventions"),
  light: z.string().describe("Lighting and time of day"),
  sound: z.string().describe("Ambience, music and voice conventions")
})
export type Brief = z.infer<typeof Brief>

export const Segment = z.object({
  seconds: z.number().int().describe("The clip length given for this segment, unchanged"),
  prompt: z.string().describe("The complete, self-contained prompt for this clip")
})

export const PlanOutput = z.object({
  brief: Brief,
  segments: z.array(Segment)
})

/** The plan with keyframe descriptions (`chain: keyframes`): one per seam and both ends. */
export const PlanWithKeyframes = PlanOutput.extend({
  keyframes: z
    .array(z.string())
    .describe(
      "One still-image description per seam and both ends (segments + 1): keyframe 0 opens segment 1, keyframe k ends segment k and opens segment k+1"
    )
})

/** A plan as a planning model returns it; `keyframes` only when they were asked for. */
export type PlanOutput = z.infer<typeof PlanOutput> & { readonly keyframes?: ReadonlyArray<string> | undefined }

/** The schema to ask for: with keyframe descriptions when the input wants them. */
export const schemaFor = (input: Planner.PlanInput) => (input.keyframes ? PlanWithKeyframes : PlanOutput)

/** The `text.format` name sent to the Responses API. */
export const FORMAT_NAME = "longsora_plan"

export const briefText = (brief: Brief): string =>
  [
    `Subject: ${brief.subject.trim()}`,
    `Look: ${brief.look.trim()}`,
    `Camera: ${brief.camera.trim()}`,
    `Light: ${brief.light.trim()}`,
    `Sound: ${brief.sound.trim()}`
  ].join("\n")

/** What is wrong with a plan for these durations (and keyframes, when asked for); empty when it fits. */
export const problems = (
  output: PlanOutput,
  durations: ReadonlyArray<number>,
  keyframes: boolean = false
): Array<string> => {
  const found: Array<string> = []
  if (keyframes) {
    const count = output.keyframes?.length ?? 0
    if (count !== durations.length + 1) {
      found.push(`the plan has ${count} keyframes; it must have exactly ${durations.length + 1} (segments + 1)`)
    }
    output.keyframes?.forEach((keyframe, i) => {
      if (keyframe.trim().length === 0) found.push(`keyframe ${i} is empty`)
    })
  }
  if (output.segments.length !== durations.length) {
    found.push(`the plan has ${output.segments.length} segments; it must have exactly ${durations.length}`)
  }
  output.segments.slice(0, durations.length).forEach((segment, i) => {
    if (segment.seconds !== durations[i]) {
      found.push(`segment ${i + 1} has seconds ${segment.seconds}; it must be ${durations[i]}`)
    }
    if (segment.prompt.trim().length === 0) found.push(`segment ${i + 1} has an empty prompt`)
  })
  return found
}

/** Maps a checked plan to core's `Plan`. */
export const toPlan = (output: PlanOutput, prompts: ReadonlyArray<string>): Plan.Plan => {
  const segments = output.segments.map(
    (segment, i) => new Plan.PlannedSegment({ prompt: prompts[i] ?? segment.prompt, seconds: segment.seconds })
  )
  const [first, ...rest] = segments
  if (!first) throw new Error("toPlan: a checked plan has at least one segment")
  const keyframes = output.keyframes?.map((keyframe) => keyframe.trim())
  return new Plan.Plan({
    brief: briefText(output.brief),
    segments: [first, ...rest],
    ...(keyframes ? { keyframes } : {})
  })
}
