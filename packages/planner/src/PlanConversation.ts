/**
 * The planning conversation every planner runs, whatever the model behind it: instructions and
 * the request, then, if the plan does not fit (wrong count, wrong seconds, an empty prompt), one
 * corrective turn naming what was wrong; over-long prompts are cut at a sentence boundary.
 */
import { Errors, type Plan, type Planner } from "@longsora/core"
import { Effect } from "effect"
import * as PlannerPrompt from "./PlannerPrompt.ts"
import * as PlanSchema from "./PlanSchema.ts"

export type Message = { readonly role: "developer" | "user" | "assistant"; readonly content: string }

/** What one model call gave: a plan (to be checked), or why there is none. */
export type Reply =
  | { readonly _tag: "Plan"; readonly plan: PlanSchema.PlanOutput; readonly text: string }
  | { readonly _tag: "Problem"; readonly problem: string; readonly text: string; readonly fatal: boolean }

export const run = Effect.fnUntraced(function* (
  input: Planner.PlanInput,
  model: string,
  ask: (conversation: ReadonlyArray<Message>) => Effect.Effect<Reply, Errors.PlannerError>,
  scrub: (text: string) => string = (text) => text
) {
  const failure = (reason: string) => new Errors.PlannerError({ reason: scrub(reason) })
  if (input.durations.length === 0) return yield* failure("there are no segments to plan")
  const conversation: Array<Message> = [
    { role: "developer", content: PlannerPrompt.instructions(input) },
    { role: "user", content: PlannerPrompt.userInput(input) }
  ]
  for (let turn = 1; ; turn++) {
    const reply = yield* ask(conversation)
    const found =
      reply._tag === "Plan"
        ? PlanSchema.problems(reply.plan, input.durations, input.keyframes === true)
        : [reply.problem]
    if (reply._tag === "Plan" && found.length === 0) {
      const original = reply.plan.segments
      const prompts = original.map((s) => PlannerPrompt.fitPrompt(s.prompt, input.maxPromptLength))
      const shortened = prompts.filter((p, i) => p.length < original[i]!.prompt.trim().length).length
      if (shortened > 0)
        yield* Effect.logDebug(`shortened ${shortened} prompt(s) to ${input.maxPromptLength} characters`)
      return PlanSchema.toPlan(reply.plan, prompts) satisfies Plan.Plan
    }
    if ((reply._tag === "Problem" && reply.fatal) || turn >= 2) {
      return yield* failure(`${model} gave no usable plan: ${found.join("; ")}`)
    }
    // One corrective turn: show the model its answer and say exactly what to fix.
    yield* Effect.logDebug(`plan rejected, asking once more: ${found.join("; ")}`)
    conversation.push({ role: "assistant", content: reply.text || "(no output)" })
    conversation.push({ role: "user", content: PlannerPrompt.correction(found, input) })
  }
})
