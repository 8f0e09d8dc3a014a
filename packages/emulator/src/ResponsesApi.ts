/**
 * `POST /v1/responses` (placeholder until the structured-output generator lands).
 */
import { notFound } from "./ApiError.ts"
import type { RequestContext } from "./AppContext.ts"

export const create = async (_ctx: RequestContext): Promise<void> => {
  throw notFound("Invalid URL (POST /v1/responses)")
}
