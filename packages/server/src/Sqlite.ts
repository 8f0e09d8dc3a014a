/**
 * Node's built-in SQLite (`node:sqlite`), opened with the one warning it prints silenced. Node 22
 * marks the module experimental and says so on stderr at first load; every other warning of the
 * process is still printed.
 */
import type { DatabaseSync } from "node:sqlite"

const isSqliteNotice = (warning: string | Error, type?: unknown): boolean => {
  const name = typeof warning === "string" ? (typeof type === "string" ? type : "Warning") : warning.name
  const message = typeof warning === "string" ? warning : warning.message
  return name === "ExperimentalWarning" && message.startsWith("SQLite is an experimental feature")
}

let filterInstalled = false

/** Drops exactly node:sqlite's ExperimentalWarning; must run before the module is first loaded. */
const silenceSqliteNotice = () => {
  if (filterInstalled) return
  filterInstalled = true
  const emitWarning = process.emitWarning.bind(process) as (...args: Array<unknown>) => void
  process.emitWarning = ((warning: string | Error, ...rest: Array<unknown>) => {
    const options = rest[0]
    const type = typeof options === "object" && options !== null ? (options as { type?: unknown }).type : options
    if (isSqliteNotice(warning, type)) return
    emitWarning(warning, ...rest)
  }) as typeof process.emitWarning
}

/** Opens (creating if needed) the database at `file` in WAL mode, safe against a killed process. */
export const open = async (file: string): Promise<DatabaseSync> => {
  silenceSqliteNotice()
  const { DatabaseSync } = await import("node:sqlite")
  const db = new DatabaseSync(file)
  // WAL: readers never block the writer. synchronous NORMAL survives a killed process (the case the
  // server resumes from); only an OS crash may lose the last commits.
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000")
  return db
}
