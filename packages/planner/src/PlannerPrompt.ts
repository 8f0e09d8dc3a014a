/**
 * The words sent to the planning model. The instructions explain the job (self-contained prompts,
 * one story, a shared brief, each segment opening on the previous last frame); the user input adds
 * machine-readable lines (`Segments: 3`, `Seconds: [8, 8, 8]`, `Max prompt length: …`) that a
 * model, or the emulator, can follow exactly.
 */
import type { Planner } from "@longsora/core"

export const instructions = (input: Planner.PlanInput): string =>
  [
    `You plan a long video that is made as ${input.durations.length} consecutive clips by the video model ${input.videoModel}.`,
    "Each clip is rendered separately from its own prompt only: the video model sees nothing else, not the other prompts, not this conversation.",
    "Clip k+1 starts from the exact last frame of clip k, so the clips join into one continuous shot sequence.",
    "",
    "Write:",
    "1. `brief`: the style and continuity brief every clip shares: subject (who/what, with fixed identifying details), look, camera, light, sound.",
    "2. `segments`: exactly one entry per clip, in order, with `seconds` equal to the given length and a `prompt` that:",
    "   - is self-contained: restate the subject's identifying details and the brief's look, camera, light and sound in every prompt;",
    "   - continues one story: each clip advances the action of the previous one, with no recap and no jump in time or place unless the story needs it;",
    "   - from segment 2 on, opens by describing the scene as the previous clip's last frame shows it, then says what happens next;",
    "   - fits the clip's length: describe only as much action as the given seconds can show;",
    `   - is at most ${input.maxPromptLength} characters long.`,
    "",
    "Segment 1 is replaced by the user's own prompt when the video is made; still write it, as the story's opening, consistent with the user's prompt.",
    input.continuesVideo
      ? "The video continues a clip the user supplied: segment 1 starts from that clip's exact last frame, so the story picks up where the clip ends, with the same subject, place and look; the user's prompt says what happens next."
      : input.hasReference
        ? "Segment 1 starts from an image the user supplied; the user's prompt describes it."
        : "Segment 1 starts from nothing but its prompt.",
    "Avoid real people, public figures, copyrighted characters and music, and adult content: the video model refuses them.",
    ...(input.keyframes ? keyframeInstructions(input) : [])
  ].join("\n")

/**
 * `chain: keyframes`: the seams are still images made first by an image model, and every clip is
 * rendered between two of them, so the plan also describes them.
 */
const keyframeInstructions = (input: Planner.PlanInput): ReadonlyArray<string> => {
  const n = input.durations.length
  return [
    "",
    `3. \`keyframes\`: exactly ${n + 1} still-image descriptions, in order. Keyframe 0 is the first frame of clip 1; keyframe k is the last frame of clip k and the first frame of clip k+1; keyframe ${n} is the last frame of the video.`,
    `   - ${input.hasReference ? "Keyframe 0 is the user's image; describe what it shows." : "Keyframe 0 is rendered from its description alone: describe the whole picture (subject, setting, look, light, framing)."}`,
    "   - Each next keyframe is made as an edit of the previous one: describe the same subject, look and light, and say what has changed (pose, position, framing) after the clip between them;",
    "   - describe one frozen moment, not motion; no text or captions in the picture.",
    "Each clip's prompt then describes the motion from its first keyframe to its last, so the clip arrives exactly at the next keyframe."
  ]
}

export const userInput = (input: Planner.PlanInput): string =>
  [
    `Prompt: ${input.prompt}`,
    `Segments: ${input.durations.length}`,
    `Seconds: [${input.durations.join(", ")}]`,
    `Max prompt length: ${input.maxPromptLength}`,
    ...(input.keyframes ? [`Keyframes: ${input.durations.length + 1}`] : [])
  ].join("\n")

/** The follow-up sent once when a plan does not fit, naming what to fix. */
export const correction = (problems: ReadonlyArray<string>, input: Planner.PlanInput): string =>
  [
    "That plan cannot be used:",
    ...problems.map((problem) => `- ${problem}`),
    `Return the whole plan again with exactly ${input.durations.length} segments, seconds [${input.durations.join(", ")}] in that order, and a non-empty prompt of at most ${input.maxPromptLength} characters for each${input.keyframes ? `, and exactly ${input.durations.length + 1} non-empty keyframes` : ""}.`
  ].join("\n")

/**
 * Shortens a prompt to `max` characters at the last sentence end that fits, else the last word
 * boundary; a clip model given a cut-off sentence renders nonsense for the tail.
 */
export const fitPrompt = (prompt: string, max: number): string => {
  const text = prompt.trim()
  if (text.length <= max) return text
  const head = text.slice(0, max)
  const sentenceEnd = Math.max(head.lastIndexOf(". "), head.lastIndexOf("! "), head.lastIndexOf("? "))
  if (/[.!?]$/.test(head)) return head
  if (sentenceEnd >= max * 0.5) return head.slice(0, sentenceEnd + 1)
  const space = head.lastIndexOf(" ")
  return (space > 0 ? head.slice(0, space) : head).trimEnd()
}
