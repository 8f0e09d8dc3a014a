/**
 * Work a join can do before it is asked: probing a segment and encoding the head a smart cut needs.
 * `prepare(segment)` runs while the next segment renders, so the join after the last segment only
 * copies. Results are kept per file (path, size, modification time) in a directory that lives as
 * long as the service; anything not prepared in time is done by the join itself, the same way.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { RunLock } from "@longsora/core"
import { Effect, type Scope } from "effect"
import type { FfmpegBinary } from "./FfmpegBinary.ts"
import { type MediaInfo, Probe, type ProbeError } from "./Probe.ts"
import * as SmartCut from "./SmartCut.ts"

export interface Preparation {
  /** The segment's probe, shared by every caller. */
  readonly probe: (path: string) => Effect.Effect<MediaInfo, ProbeError>
  /** The smart-cut head of a later segment (seam found, frames 1… re-encoded), shared by every caller. */
  readonly head: (segment: MediaInfo) => Effect.Effect<SmartCut.PreparedHead, unknown, FfmpegBinary | Probe>
}

const PREFIX = "longsora-prepared-"

/** Removes the head directories of processes that no longer run (killed before they could). */
export const removeOrphans = async (directory: string): Promise<void> => {
  const names = await readdir(directory).catch(() => [] as Array<string>)
  await Promise.all(
    names.flatMap((name) => {
      const pid = Number(/^longsora-prepared-(\d+)-/.exec(name)?.[1])
      return Number.isInteger(pid) && pid !== process.pid && !RunLock.isRunning(pid)
        ? [rm(NodePath.join(directory, name), { recursive: true, force: true })]
        : []
    })
  )
}

/** A file as its path, size and modification time: a file made again at the same path is another file. */
export const identity = (path: string) =>
  Effect.promise(() =>
    stat(path).then(
      (info) => `${path}\0${info.size}\0${info.mtimeMs}`,
      () => path
    )
  )

export const make: Effect.Effect<Preparation, never, Probe | Scope.Scope> = Effect.gen(function* () {
  const prober = yield* Probe
  // Named by the owning process, so one that was killed is recognised and its heads removed here; in the
  // background: a temp directory can hold thousands of names, and nothing waits for their removal.
  yield* Effect.forkScoped(Effect.promise(() => removeOrphans(tmpdir())))
  const directory = yield* Effect.acquireRelease(
    Effect.promise(() => mkdtemp(NodePath.join(tmpdir(), `${PREFIX}${process.pid}-`))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )
  const probes = new Map<string, Effect.Effect<MediaInfo, ProbeError>>()
  const heads = new Map<string, Effect.Effect<SmartCut.PreparedHead, unknown, FfmpegBinary | Probe>>()
  let count = 0

  /** One computation per file, whoever asks first; a failed one is forgotten so it can be tried again. */
  const once = <A, E, R>(cache: Map<string, Effect.Effect<A, E, R>>, key: string, compute: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const known = cache.get(key)
      if (known) return yield* known
      const shared = yield* Effect.cached(compute.pipe(Effect.tapError(() => Effect.sync(() => cache.delete(key)))))
      cache.set(key, shared)
      return yield* shared
    })

  return {
    probe: (path) => Effect.flatMap(identity(path), (key) => once(probes, key, prober.probe(path))),
    head: (segment) =>
      Effect.flatMap(identity(segment.path), (key) =>
        once(
          heads,
          key,
          Effect.suspend(() =>
            SmartCut.prepareHead(segment, NodePath.join(directory, `head_${String(++count).padStart(3, "0")}.mp4`))
          )
        )
      )
  } satisfies Preparation
})
