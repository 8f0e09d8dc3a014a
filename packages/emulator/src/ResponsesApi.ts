/**
 * `POST /v1/responses`, enough for the planner: plain text or strict `json_schema` output whose
 * text is a deterministic, schema-valid plan written from the request's input.
 */
import { ApiError, badRequest, invalidType, missingParameter, unknownParameter } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"
import { readJson, sendJson } from "./HttpIo.ts"
import { messageId, reasoningId, responseId } from "./Ids.ts"
import { instanceOf } from "./SchemaInstance.ts"
import { messagesOf, readStory, segmentText } from "./Story.ts"
import { checkStrict } from "./StrictSchema.ts"

type Json = Record<string, unknown>

const KNOWN = [
  "model",
  "input",
  "instructions",
  "text",
  "reasoning",
  "max_output_tokens",
  "temperature",
  "top_p",
  "store",
  "metadata",
  "previous_response_id",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "stream",
  "user",
  "truncation",
  "include",
  "service_tier",
  "prompt_cache_key",
  "safety_identifier",
  "background",
  "max_tool_calls",
  "top_logprobs",
  "conversation",
  "prompt"
]
const NAME = /^[a-zA-Z0-9_-]{1,64}$/
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))
const isReasoningModel = (model: string): boolean => /^(gpt-5|o\d)/.test(model)

interface Format {
  readonly wire: Json
  readonly schema: unknown
}

const checkFormat = (text: unknown): Format | undefined => {
  if (text === undefined) return undefined
  if (!isObject(text)) throw invalidType("text", "an object", text)
  const format = text.format
  if (format === undefined) return undefined
  if (!isObject(format)) throw invalidType("text.format", "an object", format)
  if (format.type === "text" || format.type === "json_object") return { wire: format, schema: undefined }
  if (format.type !== "json_schema") {
    throw badRequest(
      `Invalid value: '${String(format.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
      "text.format.type",
      "invalid_value"
    )
  }
  if (typeof format.name !== "string") throw missingParameter("text.format.name")
  if (!NAME.test(format.name)) {
    throw badRequest(
      `Invalid 'text.format.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
      "text.format.name",
      "invalid_value"
    )
  }
  if (format.schema === undefined) throw missingParameter("text.format.schema")
  if (format.strict === true) checkStrict(format.name, format.schema)
  return { wire: format, schema: format.schema }
}

export const create = async (ctx: RequestContext): Promise<void> => {
  const body = await readJson(ctx.req, ctx.app.limits.maxJsonBytes)
  if (!isObject(body)) throw badRequest("Invalid request body: expected a JSON object.", null, "invalid_type")
  for (const key of Object.keys(body)) if (!KNOWN.includes(key)) throw unknownParameter(key)
  if (typeof body.model !== "string") {
    throw body.model === undefined ? missingParameter("model") : invalidType("model", "a string", body.model)
  }
  const model = body.model
  if (body.stream === true) {
    throw badRequest("Streaming is not supported by the LongSora emulator.", "stream", "unsupported_value")
  }
  if (isReasoningModel(model) && body.temperature !== undefined && body.temperature !== 1) {
    throw new ApiError({
      status: 400,
      message: `Unsupported parameter: 'temperature' is not supported with this model.`,
      type: "invalid_request_error",
      param: "temperature",
      code: "unsupported_parameter"
    })
  }
  const format = checkFormat(body.text)
  const story = readStory(body.input, body.instructions)
  const text =
    format?.schema !== undefined
      ? JSON.stringify(instanceOf(format.schema, story))
      : format?.wire.type === "json_object"
        ? JSON.stringify({ story: story.idea })
        : Array.from({ length: story.segments ?? 1 }, (_, i) => segmentText(story, i, story.segments ?? 1)).join("\n")
  const { user, system } = messagesOf(body.input, body.instructions)
  const inputTokens = tokens(user + system)
  const outputTokens = tokens(text)
  const reasoningTokens = isReasoningModel(model) ? 64 : 0
  const reasoning = isObject(body.reasoning) ? body.reasoning : {}
  sendJson(ctx.res, 200, {
    id: responseId(),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    completed_at: Math.floor(Date.now() / 1000),
    background: false,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === "number" ? body.max_output_tokens : null,
    model,
    output: [
      ...(reasoningTokens > 0 ? [{ id: reasoningId(), type: "reasoning", summary: [] }] : []),
      {
        id: messageId(),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [], logprobs: [] }]
      }
    ],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: typeof body.previous_response_id === "string" ? body.previous_response_id : null,
    reasoning: {
      effort: reasoning.effort ?? (isReasoningModel(model) ? "medium" : null),
      summary: reasoning.summary ?? null
    },
    store: body.store ?? true,
    temperature: typeof body.temperature === "number" ? body.temperature : 1,
    text: {
      format: format?.wire ?? { type: "text" },
      verbosity: isObject(body.text) && typeof body.text.verbosity === "string" ? body.text.verbosity : "medium"
    },
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: typeof body.top_p === "number" ? body.top_p : 1,
    truncation: body.truncation ?? "disabled",
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens + reasoningTokens,
      output_tokens_details: { reasoning_tokens: reasoningTokens },
      total_tokens: inputTokens + outputTokens + reasoningTokens
    },
    ...(typeof body.user === "string" ? { user: body.user } : {}),
    metadata: isObject(body.metadata) ? body.metadata : {}
  })
}
