/** The server's defaults, apart from the server itself so a command line can show them cheaply. */
import { homedir } from "node:os"
import { join } from "node:path"

export const defaults = {
  host: "127.0.0.1",
  port: 8080,
  concurrency: 4,
  maxRunningJobsPerKey: 20,
  secondsPerDayPerKey: 3600,
  maxBodyBytes: 1024 * 1024,
  maxUploadBytes: 20 * 1024 * 1024,
  runnerPort: 34431
} as const

/** `$LONGSORA_DATA_DIR`, else `$XDG_DATA_HOME/longsora/server`, else `~/.local/share/longsora/server`. */
export const defaultDataDir = (): string =>
  process.env.LONGSORA_DATA_DIR ||
  join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "longsora", "server")
