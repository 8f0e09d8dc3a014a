/**
 * One run per output directory. Two processes resuming the same manifest would each create the
 * segments the other has not recorded yet, so a run holds `outputDir/.longsora/lock` (its pid, host
 * and start) for as long as it works there. The file is created exclusively; a lock left by a process
 * that died (SIGKILL, a crash) on this host is taken over, one held on another host never is.
 * A front-end that must start services for the directory (the offline emulator keeps its jobs
 * there) takes the lock first with `holding`, and the run inside does not take it again.
 */
import { hostname } from "node:os"
import { Clock, Context, Effect, FileSystem, Option, Path, Schema } from "effect"
import { OutputError, RunLocked } from "./Errors.ts"
import { directoryName } from "./Manifest.ts"

export const fileName = "lock"

const Holder = Schema.Struct({ pid: Schema.Int, host: Schema.String, startedAt: Schema.Finite })
type Holder = typeof Holder.Type
const HolderJson = Schema.fromJsonString(Holder)

/** Whether process `pid` on this host is still running (EPERM: it runs under another user). */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const isAlreadyExists = (error: unknown): boolean =>
  (error as { reason?: { _tag?: unknown } } | null)?.reason?._tag === "AlreadyExists"

/**
 * Holds the output directory's lock for the rest of the scope. Fails with `RunLocked` naming the
 * other run when a live process holds it.
 */
export const acquire = Effect.fnUntraced(function* (outputDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const directory = path.join(outputDir, directoryName)
  const file = path.join(directory, fileName)
  const failed = (reason: string) => (cause: unknown) => new OutputError({ path: file, reason, cause })
  const createdDirectories = yield* missingDirectories(directory)
  yield* fs
    .makeDirectory(directory, { recursive: true })
    .pipe(Effect.mapError(failed("could not create the state directory")))
  const self: Holder = { pid: process.pid, host: hostname(), startedAt: yield* Clock.currentTimeMillis }
  const text = yield* Schema.encodeEffect(HolderJson)(self).pipe(Effect.orDie)

  const readHolder = fs.readFileString(file).pipe(Effect.flatMap(Schema.decodeUnknownEffect(HolderJson)), Effect.option)
  // A lock being written this instant reads as empty: look again before calling it debris.
  const settledHolder = Effect.flatMap(readHolder, (holder) =>
    Option.isSome(holder) ? Effect.succeed(holder) : Effect.flatMap(Effect.sleep("100 millis"), () => readHolder)
  )
  const lockedBy = (holder: Holder) => new RunLocked({ outputDir, ...holder, lockFile: file })
  // Three tries: each after removing a dead holder's lock (another taker may win that race).
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = yield* fs.writeFileString(file, text, { flag: "wx" }).pipe(
      Effect.as(true),
      Effect.catch((error) =>
        isAlreadyExists(error) ? Effect.succeed(false) : Effect.fail(failed("could not write the lock")(error))
      )
    )
    if (created) {
      yield* Effect.addFinalizer(() =>
        releaseIfOurs(file, self, readHolder).pipe(Effect.andThen(removeIfEmpty(createdDirectories)))
      )
      return
    }
    const holder = yield* settledHolder
    if (Option.isSome(holder) && (holder.value.host !== self.host || isRunning(holder.value.pid))) {
      return yield* lockedBy(holder.value)
    }
    yield* Effect.logDebug(`taking over the lock of a run that is no longer running: ${file}`)
    yield* fs.remove(file).pipe(Effect.ignore)
  }
  return yield* new OutputError({ path: file, reason: "the lock could not be taken; another run keeps taking it" })
})

/** `directory` and those of its ancestors that do not exist yet, innermost first. */
const missingDirectories = Effect.fnUntraced(function* (directory: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const missing: Array<string> = []
  for (let current = directory; !(yield* fs.exists(current).pipe(Effect.orElseSucceed(() => true))); ) {
    missing.push(current)
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  return missing
})

/**
 * Removes the directories the lock created, innermost first, while they are empty: a run refused
 * before it wrote anything (a bad request) leaves no output directory behind.
 */
const removeIfEmpty = (directories: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    for (const directory of directories) {
      const entries = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed(() => ["?"]))
      if (entries.length > 0) return
      yield* fs.remove(directory, { recursive: true }).pipe(Effect.ignore)
    }
  })

/** Removes the lock unless another run has taken it over meanwhile. */
const releaseIfOurs = (file: string, self: Holder, readHolder: Effect.Effect<Option.Option<Holder>, never, never>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const current = yield* readHolder
    const ours = Option.isSome(current) && current.value.pid === self.pid && current.value.startedAt === self.startedAt
    if (ours) yield* fs.remove(file).pipe(Effect.ignore)
  })

/** The output directory whose lock the surrounding code holds (see `holding`). */
export class Held extends Context.Service<Held, { readonly outputDir: string }>()("@longsora/core/RunLock/Held") {}

/** Takes the lock unless the surrounding code already holds it for this directory. */
export const acquireUnlessHeld = Effect.fnUntraced(function* (outputDir: string) {
  const path = yield* Path.Path
  const held = yield* Effect.serviceOption(Held)
  if (Option.isSome(held) && held.value.outputDir === path.resolve(outputDir)) return
  yield* acquire(outputDir)
})

/**
 * Runs `effect` holding `outputDir`'s lock, taken before it starts: services built inside (an
 * emulator whose jobs live in the directory) are never started by a second run that would be refused.
 */
export const holding =
  (outputDir: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.scoped(
      Effect.gen(function* () {
        const resolved = (yield* Path.Path).resolve(outputDir)
        yield* acquire(resolved)
        return yield* Effect.provideService(effect, Held, { outputDir: resolved })
      })
    )
