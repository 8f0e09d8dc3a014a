/**
 * The emulator's defaults, in a module of their own (no imports) so the command line can show them
 * in its help without loading the server.
 */
export const defaults = {
  host: "127.0.0.1",
  /** 0 picks a free port. */
  port: 0,
  apiKey: "sk-emulator",
  secondsPerVideoSecond: 0.02,
  fixedSeconds: 0.2,
  expiresAfterSeconds: 3600,
  maxConcurrentRenders: 2,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 20_000,
  /** The origin `@ai-sdk/fal` requires in fal's `response_url`/`status_url`. */
  falQueueOrigin: "https://queue.fal.run",
  /** `--drop-download COUNT` without `:AFTER_BYTES`. */
  dropDownloadAfterBytes: 1024,
  /** `--server-errors COUNT` without `:STATUS`. */
  serverErrorStatus: 500
} as const
