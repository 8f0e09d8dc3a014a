/**
 * The job id core records in the run manifest: the model id and the provider's JSON `operation`
 * (Google's operation name, fal's queue URLs, …) as one JSON string, so a later run can poll the
 * same operation with the same model. Operations carry no key; result URLs (which may) are never
 * part of it. A V3 job, which lives only in the process that started it, holds a local id instead.
 */
import type { JSONValue } from "@ai-sdk/provider"

export type Decoded =
  | { readonly model: string; readonly operation: JSONValue }
  | { readonly model: string; readonly local: string }

export const encode = (job: Decoded): string => JSON.stringify(job)

export const decode = (id: string): Decoded | undefined => {
  try {
    const value = JSON.parse(id) as Record<string, unknown>
    if (typeof value !== "object" || value === null || typeof value.model !== "string") return undefined
    if (typeof value.local === "string") return { model: value.model, local: value.local }
    return "operation" in value ? { model: value.model, operation: value.operation as JSONValue } : undefined
  } catch {
    return undefined
  }
}

/** The last part of a path or URL (`…/operations/abc` → `abc`, `…/requests/abc?x` → `abc`); the value itself else. */
const lastPart = (value: string): string => value.split(/[?#]/)[0]!.split("/").filter(Boolean).at(-1) ?? value

/**
 * A job as people read it in progress lines and summaries: the provider's own id for the operation (Google's
 * operation, fal's and Replicate's request, xAI's request id, Alibaba's task id), not the whole JSON handle. Any
 * other id (an OpenAI `video_…`) is returned as it is.
 */
export const label = (id: string): string => {
  const job = decode(id)
  if (job === undefined) return id
  if ("local" in job) return job.local
  const { operation } = job
  const first =
    typeof operation === "string"
      ? operation
      : typeof operation === "object" && operation !== null && !Array.isArray(operation)
        ? Object.values(operation).find((value): value is string => typeof value === "string")
        : undefined
  return first === undefined ? id : lastPart(first)
}
