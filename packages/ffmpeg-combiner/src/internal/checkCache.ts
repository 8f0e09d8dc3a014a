/**
 * The ffmpeg check's verdict kept across processes: starting ffmpeg and ffprobe to read their versions costs
 * ~0.2–0.3 s before the first paid call of every run. A passed check is stored in the user's cache directory
 * (`$XDG_CACHE_HOME/longsora`, else the platform's) keyed by both binaries' paths, sizes and modification times, so
 * replacing or upgrading either one checks again. Only passes are stored; any read or write problem means "check".
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import * as NodePath from "node:path"

export interface CachedVersion {
  readonly major: number
  readonly minor: number
  readonly text: string
}

/** Where LongSora keeps its per-user cache; `LONGSORA_CACHE_DIR` overrides. */
export const cacheDir = (env: NodeJS.ProcessEnv = process.env): string => {
  if (env.LONGSORA_CACHE_DIR) return env.LONGSORA_CACHE_DIR
  if (env.XDG_CACHE_HOME) return NodePath.join(env.XDG_CACHE_HOME, "longsora")
  if (process.platform === "darwin") return NodePath.join(homedir(), "Library", "Caches", "longsora")
  if (process.platform === "win32" && env.LOCALAPPDATA) return NodePath.join(env.LOCALAPPDATA, "longsora", "cache")
  return NodePath.join(homedir(), ".cache", "longsora")
}

const FILE = "ffmpeg-check.json"

/** `path|size|mtime` of each binary; undefined when one cannot be stat'ed (a bare name not on PATH). */
export const keyOf = async (binaries: ReadonlyArray<string>): Promise<string | undefined> => {
  try {
    const parts = await Promise.all(
      binaries.map(async (binary) => {
        const info = await stat(binary)
        return `${binary}|${info.size}|${info.mtimeMs}`
      })
    )
    return parts.join("\n")
  } catch {
    return undefined
  }
}

const readAll = async (dir: string): Promise<Record<string, CachedVersion>> => {
  try {
    const parsed = JSON.parse(await readFile(NodePath.join(dir, FILE), "utf8")) as unknown
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, CachedVersion>) : {}
  } catch {
    return {}
  }
}

const isVersion = (value: unknown): value is CachedVersion => {
  const v = value as Partial<CachedVersion> | undefined
  return typeof v?.major === "number" && typeof v.minor === "number" && typeof v.text === "string"
}

export const lookup = async (key: string, dir: string = cacheDir()): Promise<CachedVersion | undefined> => {
  const entry = (await readAll(dir))[key]
  return isVersion(entry) ? entry : undefined
}

/** Stores a passed check (at most a few entries: one per ffmpeg a user has). Never fails. */
export const store = async (key: string, version: CachedVersion, dir: string = cacheDir()): Promise<void> => {
  try {
    await mkdir(dir, { recursive: true })
    const entries = Object.entries(await readAll(dir))
      .filter(([k]) => k !== key)
      .slice(-7)
    const temp = NodePath.join(dir, `.${FILE}.${process.pid}.tmp`)
    await writeFile(temp, JSON.stringify(Object.fromEntries([...entries, [key, version]])))
    await rename(temp, NodePath.join(dir, FILE))
  } catch {
    // A read-only home only means the next run checks again.
  }
}
