/**
 * Bounds on what one request may make the emulator hold or fetch, so a hostile or broken client
 * can neither fill the disk nor the memory, nor hold a connection open. The contract states two of
 * them (a prompt of at most 32000 characters, an `image_url` string of at most 20 MiB); the rest are
 * our own, documented in the README.
 */
import { defaults } from "./Defaults.ts"

const MiB = 1024 * 1024

export interface Limits {
  /** One uploaded file part (`input_reference`, Files API `file`), streamed to disk. Default 50 MiB. */
  readonly maxFileBytes: number
  /** One text field, held in memory: the contract's 20 MiB `image_url` plus a little. */
  readonly maxFieldBytes: number
  /** All text fields of one multipart body together. Default `maxFieldBytes` + 1 MiB. */
  readonly maxFieldsTotalBytes: number
  /** Text fields per multipart body (a create has at most 6). Default 16. */
  readonly maxFields: number
  /** File parts per multipart body (a create takes one reference). Default 1. */
  readonly maxFiles: number
  /** A JSON body, held in memory. Default 32 MiB. */
  readonly maxJsonBytes: number
  /** Any request body as sent (Content-Length or counted). Default file + fields + 1 MiB. */
  readonly maxBodyBytes: number
  /** An https `image_url`'s body. Default 20 MiB. */
  readonly maxImageUrlBytes: number
  /** Connect + download of an https `image_url`. Default 10 s. */
  readonly imageUrlTimeoutMs: number
}

export const defaultLimits = (overrides: Partial<Limits> = {}): Limits => {
  const maxFileBytes = overrides.maxFileBytes ?? 50 * MiB
  const maxFieldBytes = overrides.maxFieldBytes ?? 20 * MiB + 64 * 1024
  const maxFieldsTotalBytes = overrides.maxFieldsTotalBytes ?? maxFieldBytes + MiB
  return {
    maxFileBytes,
    maxFieldBytes,
    maxFieldsTotalBytes,
    maxFields: overrides.maxFields ?? 16,
    maxFiles: overrides.maxFiles ?? 1,
    maxJsonBytes: overrides.maxJsonBytes ?? 32 * MiB,
    maxBodyBytes: overrides.maxBodyBytes ?? maxFileBytes + maxFieldsTotalBytes + MiB,
    maxImageUrlBytes: overrides.maxImageUrlBytes ?? 20 * MiB,
    imageUrlTimeoutMs: overrides.imageUrlTimeoutMs ?? 10_000
  }
}

/** How long a client may take to send its headers, and its whole request (Node's own default is 300 s). */
export interface Timeouts {
  /** Default 20 s. */
  readonly headersTimeoutMs: number
  /** Default 30 s. */
  readonly requestTimeoutMs: number
}

export const defaultTimeouts = (overrides: Partial<Timeouts> = {}): Timeouts => {
  const requestTimeoutMs = overrides.requestTimeoutMs ?? defaults.requestTimeoutMs
  return {
    requestTimeoutMs,
    // Node requires headersTimeout <= requestTimeout.
    headersTimeoutMs: Math.min(overrides.headersTimeoutMs ?? defaults.headersTimeoutMs, requestTimeoutMs)
  }
}
