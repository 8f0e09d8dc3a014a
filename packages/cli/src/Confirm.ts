/** Asks before spending more than the threshold; scripts say `--yes` instead. */
import { createInterface } from "node:readline/promises"
import { Errors } from "@longsora/core"
import { Effect } from "effect"

const ask = (question: string) =>
  Effect.acquireUseRelease(
    Effect.sync(() => createInterface({ input: process.stdin, output: process.stderr })),
    (rl) => Effect.promise((signal) => rl.question(question, { signal })),
    (rl) => Effect.sync(() => rl.close())
  )

/** The threshold is a price: 0 (always ask) or more USD. */
export const checkThreshold = (threshold: number): Effect.Effect<void, Errors.InvalidRequest> =>
  Number.isFinite(threshold) && threshold >= 0
    ? Effect.void
    : Effect.fail(
        new Errors.InvalidRequest({
          field: "confirmAbove",
          given: String(threshold),
          allowed: "a price of 0 or more USD (0 asks before every run)",
          fix: "e.g. `confirmAbove` 5"
        })
      )

export const costConfirmed = Effect.fnUntraced(function* (options: {
  readonly estimatedCostUsd: number
  readonly threshold: number
  readonly yes: boolean
}) {
  const { estimatedCostUsd, threshold, yes } = options
  yield* checkThreshold(threshold)
  if (yes || estimatedCostUsd <= threshold) return
  const cost = `$${estimatedCostUsd.toFixed(2)}`
  if (!process.stdin.isTTY) {
    return yield* new Errors.InvalidRequest({
      field: "yes",
      given: `an estimate of ${cost} with no terminal to confirm it`,
      allowed: `runs up to \`confirmAbove\` $${threshold.toFixed(2)} without confirmation`,
      fix: "Pass `yes` to accept the cost, or raise `confirmAbove`."
    })
  }
  const answer = yield* ask(`This run is estimated at ${cost}. Continue? [y/N] `)
  if (!/^y(es)?$/i.test(answer.trim())) {
    process.stderr.write("Cancelled: nothing was generated or billed.\n")
    return yield* Effect.interrupt
  }
})
