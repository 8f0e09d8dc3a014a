/**
 * Veo's native extension over the Gemini API (`chain: extend`): `POST {base}/models/{model}:
 * predictLongRunning` with `{instances:[{prompt, video:{uri}}]}`, the `uri` of a finished Veo clip
 * (its `files/{id}:download` URI), as `@google/genai` sends `source.video`. Each step adds 7 s and
 * the answer is the source and the new part stitched. `@ai-sdk/google` 4.0.121's video model cannot
 * send it (its provider options become `parameters`, never `instances[0].video`), so the start is
 * sent here with the package's own transport helpers and the provider's fetch; the operation it
 * answers has the package's shape (`{operationName}`), so polling, the keyed download and resume
 * are the package's, exactly as for a created clip.
 */
import type { JSONValue } from "@ai-sdk/provider"
import { createJsonErrorResponseHandler, createJsonResponseHandler, postJsonToApi } from "@ai-sdk/provider-utils"
import { z } from "zod"

const operationSchema = z.object({ name: z.string().nullish() })
const googleErrorSchema = z.object({
  error: z.object({ code: z.number().nullish(), message: z.string(), status: z.string().nullish() })
})

/** The clean URI of a finished clip, from the package's completed status (its `providerMetadata.google.videos`). */
export const sourceUri = (providerMetadata: unknown): string | undefined => {
  const videos = (providerMetadata as { google?: { videos?: ReadonlyArray<{ uri?: unknown }> } } | undefined)?.google
    ?.videos
  const uri = videos?.[0]?.uri
  return typeof uri === "string" ? uri : undefined
}

export interface StartOptions {
  readonly baseURL: string
  readonly apiKey: string | undefined
  /** The Gemini model id (`veo-3.1-generate-preview`). */
  readonly modelId: string
  readonly prompt: string
  readonly sourceUri: string
  readonly fetch: typeof fetch
  readonly signal: AbortSignal
}

/** Starts one extension; the operation in the video model's own shape. */
export const start = async (options: StartOptions): Promise<{ readonly operation: JSONValue }> => {
  const { value } = await postJsonToApi({
    url: `${options.baseURL.replace(/\/$/, "")}/models/${options.modelId}:predictLongRunning`,
    headers: options.apiKey === undefined ? {} : { "x-goog-api-key": options.apiKey },
    body: {
      instances: [{ prompt: options.prompt, video: { uri: options.sourceUri } }],
      parameters: { sampleCount: 1 }
    },
    failedResponseHandler: createJsonErrorResponseHandler({
      errorSchema: googleErrorSchema,
      errorToMessage: (error) => error.error.message
    }),
    successfulResponseHandler: createJsonResponseHandler(operationSchema),
    abortSignal: options.signal,
    fetch: options.fetch
  })
  if (!value.name) throw new Error("No operation name returned from API")
  return { operation: { operationName: value.name } }
}
