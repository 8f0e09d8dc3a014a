/**
 * The jobs LongSora runs on this machine have created, in one append-only file shared by every run
 * (`$LONGSORA_STATE_DIR`, else `$XDG_STATE_HOME/longsora`, else `~/.local/state/longsora`). When a
 * create's answer was lost, the provider may only adopt a job that no run here already owns: a
 * second run with the same prompt, in another directory, must never hand its clip to the first.
 */
import { homedir } from "node:os"
import { Config, Effect, FileSystem, Option, Path } from "effect"

export const fileName = "jobs.ndjson"

export interface Entry {
  readonly jobId: string
  readonly outputDir: string
  readonly segment: number
  /** When the job was recorded (epoch ms). */
  readonly at: number
}

/** The registry's directory, from the environment. */
export const directory: Effect.Effect<string, never, Path.Path> = Effect.gen(function* () {
  const path = yield* Path.Path
  const option = (name: string) => Config.String(name).pipe(Config.option, Config.map(Option.filter((v) => v !== "")))
  const explicit = yield* option("LONGSORA_STATE_DIR").pipe(Effect.orElseSucceed(() => Option.none<string>()))
  if (Option.isSome(explicit)) return explicit.value
  const xdg = yield* option("XDG_STATE_HOME").pipe(Effect.orElseSucceed(() => Option.none<string>()))
  return Option.isSome(xdg) ? path.join(xdg.value, "longsora") : path.join(homedir(), ".local", "state", "longsora")
})

const registryFile = Effect.gen(function* () {
  const path = yield* Path.Path
  return path.join(yield* directory, fileName)
})

/**
 * Records a job. One short line appended at once is atomic between processes. A registry that
 * cannot be written only weakens adoption, so the failure is logged, not raised.
 */
export const record = (entry: Entry): Effect.Effect<void, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = yield* registryFile
    yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    yield* fs.writeFileString(file, `${JSON.stringify(entry)}\n`, { flag: "a" })
  }).pipe(Effect.catch((error) => Effect.logWarning(`could not record a job in the job registry: ${String(error)}`)))

/** Every job id recorded on this machine. */
export const ownedJobIds: Effect.Effect<ReadonlySet<string>, never, FileSystem.FileSystem | Path.Path> = Effect.gen(
  function* () {
    const fs = yield* FileSystem.FileSystem
    const file = yield* registryFile
    const text = yield* fs.readFileString(file).pipe(Effect.orElseSucceed(() => ""))
    const ids = new Set<string>()
    for (const line of text.split("\n")) {
      if (line === "") continue
      try {
        const jobId = (JSON.parse(line) as { jobId?: unknown }).jobId
        if (typeof jobId === "string") ids.add(jobId)
      } catch {
        // A line cut by a crash mid-append names no job; the rest of the file still counts.
      }
    }
    return ids
  }
)
