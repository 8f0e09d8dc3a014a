/**
 * MCP progress notifications while a run works: each one to the calling request's `progressToken`,
 * with a progress that only increases, the last one always sent. How far a run is comes from its
 * store (a live run of this process, or a server job's row), so every store follows runs the same way.
 */
import { Effect } from "effect"
import { McpSchema, McpServer } from "effect/ai"

export interface Snapshot {
  readonly progress: number
  readonly total: number
  readonly message: string
  readonly running: boolean
}

/**
 * Sends progress from `snapshot` until the run stops running or `seconds` pass; `wait` is the pause
 * between two looks (it may end early, e.g. when the run ends).
 */
export const follow = Effect.fnUntraced(function* <E, R>(options: {
  readonly snapshot: Effect.Effect<Snapshot, E, R>
  readonly wait: Effect.Effect<void>
  readonly seconds: number
}) {
  const context = yield* McpSchema.McpRequestContext
  const token = (context.requestMetadata as { readonly progressToken?: unknown } | undefined)?.progressToken
  const server = yield* McpServer.McpServer
  let sent = -1
  let running = true
  // Uninterruptible: a notification counted as sent has been sent, so the last one is never skipped.
  const notify = Effect.uninterruptible(
    Effect.flatMap(options.snapshot, ({ progress, total, message, running: still }) => {
      running = still
      // Progress must increase with every notification.
      if ((typeof token !== "string" && typeof token !== "number") || progress <= sent) return Effect.void
      sent = progress
      return server.notifications["notifications/progress"]({ progressToken: token, progress, total, message }).pipe(
        Effect.ignore
      )
    })
  )
  yield* Effect.whileLoop({
    while: () => running,
    body: () => Effect.andThen(notify, options.wait),
    step: () => {}
  }).pipe(Effect.timeoutOption(`${options.seconds} seconds`))
})
