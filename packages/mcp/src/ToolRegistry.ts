/**
 * Registers one tool on Effect's `McpServer`: its JSON Schema compiled from the parameter schema,
 * arguments decoded strictly (a mismatch is a JSON-RPC `invalid params` error naming the argument),
 * and every typed failure returned as a tool error carrying the failure's own message, the one the
 * CLI prints, so the model can act on it. Lower level than `McpServer.toolkit` because `inspect`
 * answers with an image, which toolkit tools cannot.
 */
import { Cause, Context, Effect, Schema } from "effect"
import { McpSchema, McpServer } from "effect/ai"
import { messageOf } from "./Messages.ts"

export interface Image {
  readonly data: Uint8Array
  readonly mimeType: string
}

/** A tool's answer: a summary for people, the data for programs, and images. */
export interface Reply {
  readonly summary: string
  readonly structured: Readonly<Record<string, unknown>>
  readonly images?: ReadonlyArray<Image> | undefined
}

export interface Hints {
  readonly readOnlyHint?: boolean
  readonly destructiveHint?: boolean
  readonly idempotentHint?: boolean
  readonly openWorldHint?: boolean
}

/** MCP requires an object root; definitions (e.g. the plan's) go under `$defs`. */
export const inputJsonSchema = (schema: Schema.Top): McpSchema.ToolJson => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  const root = document.schema as McpSchema.ToolJson
  return Object.keys(document.definitions).length === 0 ? root : { ...root, $defs: document.definitions }
}

const toResult = (reply: Reply): McpSchema.CallToolResult =>
  new McpSchema.CallToolResult({
    content: [
      { type: "text", text: `${reply.summary}\n\n${JSON.stringify(reply.structured, null, 2)}` },
      ...(reply.images ?? []).map((image) => ({ type: "image" as const, data: image.data, mimeType: image.mimeType }))
    ],
    structuredContent: reply.structured
  })

/** Typed failures become tool errors with their message; defects too, logged (to stderr) first. */
const failureResult = (cause: Cause.Cause<unknown>): Effect.Effect<McpSchema.CallToolResult> => {
  if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
  const error = Cause.squash(cause)
  const result = new McpSchema.CallToolResult({ isError: true, content: [{ type: "text", text: messageOf(error) }] })
  return Cause.hasDies(cause) ? Effect.as(Effect.logError(cause), result) : Effect.succeed(result)
}

export const register = Effect.fnUntraced(function* <S extends Schema.Decoder<unknown>, E, R>(options: {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly parameters: S
  readonly hints: Hints
  readonly handle: (params: S["Type"]) => Effect.Effect<Reply, E, R>
}) {
  const server = yield* McpServer.McpServer
  // Services of the registering layer; the server adds the request's own (client, request context).
  const services = yield* Effect.context<Exclude<R, McpSchema.McpRequestContext | McpSchema.McpServerClient>>()
  const decode = Schema.decodeUnknownEffect(options.parameters)
  yield* server.addTool({
    tool: new McpSchema.Tool({
      name: options.name,
      title: options.title,
      description: options.description,
      inputSchema: inputJsonSchema(options.parameters as unknown as Schema.Top),
      annotations: { title: options.title, ...options.hints }
    }),
    annotations: Context.empty(),
    services: services as Context.Context<never>,
    handle: (payload: unknown) =>
      decode(payload ?? {}, { errors: "all", onExcessProperty: "error" }).pipe(
        Effect.mapError(
          (error) => new McpSchema.InvalidParams({ message: `Invalid arguments for ${options.name}: ${error.message}` })
        ),
        Effect.flatMap((params) => options.handle(params).pipe(Effect.map(toResult), Effect.catchCause(failureResult)))
      ) as Effect.Effect<McpSchema.CallToolResult, McpSchema.InvalidParams, McpSchema.McpRequestContext>
  })
})
