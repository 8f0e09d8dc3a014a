/**
 * Paid tools ask before spending more than the threshold, as the CLI does: an elicitation when the
 * client can show one, else a refusal that says how to confirm (`confirm: true`, once the user has
 * seen the cost). Either way nothing is created before the answer.
 */
import { Errors } from "@longsora/core"
import { Effect, Option } from "effect"
import { McpSchema } from "effect/ai"

const usd = (amount: number) => `$${amount.toFixed(2)}`

const declined = (cost: string) =>
  new Errors.InvalidRequest({
    field: "confirm",
    given: `an estimate of ${cost} that the user did not accept`,
    allowed: "runs the user has accepted",
    fix: "Nothing was generated or billed. Change the request (shorter, fewer segments, a cheaper model), or ask again."
  })

/** Asks the user through the client; true only for an explicit yes. */
const elicit = (client: McpSchema.McpServerClient["Service"], message: string, title: string) =>
  Effect.gen(function* () {
    const reverse = yield* client.getClient
    const answer = yield* reverse.elicit(
      new McpSchema.ElicitRequestFormParams({
        mode: "form",
        message,
        requestedSchema: {
          type: "object",
          properties: { confirm: { type: "boolean", title, description: message } },
          required: ["confirm"]
        }
      })
    )
    return answer.action === "accept" && answer.content?.confirm === true
  }).pipe(Effect.scoped)

export const confirm = Effect.fnUntraced(function* (options: {
  readonly estimatedCostUsd: number
  /** Undefined: nothing is billed (the offline emulator), so nothing is asked. */
  readonly threshold: number | undefined
  readonly confirmed: boolean
  /** The tool to call again with `confirm: true` (default generate). */
  readonly tool?: string | undefined
  /** What is paid for, e.g. "This run" (the default) or "Making segment 2 again". */
  readonly subject?: string | undefined
}) {
  const { estimatedCostUsd, threshold, confirmed } = options
  const tool = options.tool ?? "generate"
  const subject = options.subject ?? "This run"
  if (threshold === undefined || confirmed || estimatedCostUsd <= threshold) return
  const cost = usd(estimatedCostUsd)
  const context = yield* McpSchema.McpRequestContext
  const client = yield* Effect.serviceOption(McpSchema.McpServerClient)
  if (Option.isSome(client) && context.clientCapabilities.elicitation !== undefined) {
    const message = `${subject} is estimated at ${cost} (above ${usd(threshold)}). Start it?`
    // A client that cannot answer after all gets the refusal below.
    const accepted = yield* elicit(client.value, message, tool === "generate" ? "Start the run" : `Start ${tool}`).pipe(
      Effect.option
    )
    if (Option.isSome(accepted)) return accepted.value ? undefined : yield* declined(cost)
  }
  return yield* new Errors.InvalidRequest({
    field: "confirm",
    given: `an estimate of ${cost} with no way to ask the user here`,
    allowed: `runs up to ${usd(threshold)} without confirmation`,
    fix: `Nothing was generated or billed. Show the user the cost; once they accept it, call ${tool} again with confirm: true.`
  })
})
