/**
 * Identifier shapes copied from OpenAI's: `video_` + 48 hex chars, `resp_…`, `msg_…`, request ids.
 */
import { randomBytes } from "node:crypto"

const hex = (bytes: number): string => randomBytes(bytes).toString("hex")

export const videoId = (): string => `video_${hex(24)}`
export const responseId = (): string => `resp_${hex(24)}`
export const messageId = (): string => `msg_${hex(24)}`
export const reasoningId = (): string => `rs_${hex(24)}`
export const fileId = (): string => `file-${hex(11)}`
export const requestId = (): string => `req_${hex(16)}`

/** A stable 32-bit seed derived from an id, so each job renders differently but reproducibly. */
export const seedOf = (id: string): number => {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}
