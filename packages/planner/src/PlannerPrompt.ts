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
    "Avoid real people, public figures, copyrighted characters and music, and adult content: the video model refuses them."
  ].join("\n")

export const userInput = (input: Planner.PlanInput): string =>
  [
    `Prompt: ${input.prompt}`,
    `Segments: ${input.durations.length}`,
    `Seconds: [${input.durations.join(", ")}]`,
    `Max prompt length: ${input.maxPromptLength}`
  ].join("\n")

/** The follow-up sent once when a plan does not fit, naming what to fix. */
export const correction = (problems: ReadonlyArray<string>, input: Planner.PlanInput): string =>
  [
    "That plan cannot be used:",
    ...problems.map((problem) => `- ${problem}`),
    `Return the whole plan again with exactly ${input.durations.length} segments, seconds [${input.durations.join(", ")}] in that order, and a non-empty prompt of at most ${input.maxPromptLength} characters for each.`
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
