/**
 * One emulator per data directory. Two emulators on one directory would both resume the same
 * in-flight renders and one would clear the other's uploads at start, so an emulator holds
 * `dataDir/emulator.lock` (its pid and host) while it runs. A lock left by a process that died on
 * this host is taken over; one held by a live process (or on another host) is refused.
 */
import { readFile, rm, rmdir, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { dirname, join } from "node:path"

export const fileName = "emulator.lock"

interface Holder {
  readonly pid: number
  readonly host: string
}

export class DataDirInUse extends Error {
  readonly dataDir: string
  readonly holder: Holder
  constructor(dataDir: string, holder: Holder) {
    super(
      `The emulator data directory ${dataDir} is in use by the emulator of pid ${holder.pid} on ${holder.host}; stop it or give another --data-dir.`
    )
    this.name = "DataDirInUse"
    this.dataDir = dataDir
    this.holder = holder
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readHolder = async (file: string, afterMs = 0): Promise<Holder | undefined> => {
  if (afterMs > 0) await new Promise((resolve) => setTimeout(resolve, afterMs))
  const text = await readFile(file, "utf8").catch(() => "")
  try {
    const parsed = JSON.parse(text) as Partial<Holder>
    return typeof parsed.pid === "number" && typeof parsed.host === "string"
      ? { pid: parsed.pid, host: parsed.host }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Removes `dataDir` and its parents up to `createdFrom` (the first one `mkdir` created) while they
 * are empty, so an emulator that stored nothing (its run was refused) leaves no directory behind.
 */
const removeEmpty = async (dataDir: string, createdFrom: string | undefined) => {
  if (createdFrom === undefined) return
  for (let dir = dataDir; dir.startsWith(createdFrom); dir = dirname(dir)) {
    // Not empty (or gone): what remains is someone's.
    if (
      !(await rmdir(dir).then(
        () => true,
        () => false
      ))
    )
      return
    if (dir === createdFrom) return
  }
}

/**
 * Takes the directory's lock (the directory must exist; `createdFrom` is the first directory the
 * caller's `mkdir` created for it, if any); resolves to its release.
 */
export const acquire = async (dataDir: string, createdFrom?: string): Promise<() => Promise<void>> => {
  const file = join(dataDir, fileName)
  const self: Holder = { pid: process.pid, host: hostname() }
  // Three tries: each after removing a dead holder's lock (another emulator may win that race).
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = await writeFile(file, JSON.stringify(self), { flag: "wx" }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false
        throw error
      }
    )
    if (created) {
      return async () => {
        const current = await readHolder(file)
        if (current?.pid === self.pid && current.host === self.host) await rm(file, { force: true })
        await removeEmpty(dataDir, createdFrom)
      }
    }
    // A lock being written this instant reads as empty: look again before calling it debris.
    const holder = (await readHolder(file)) ?? (await readHolder(file, 100))
    if (holder && (holder.host !== self.host || isRunning(holder.pid))) throw new DataDirInUse(dataDir, holder)
    await rm(file, { force: true })
  }
  throw new Error(`The emulator data directory ${dataDir} could not be locked: another emulator keeps taking it.`)
}
