/**
 * Work a join can do before it is asked: probing a segment and encoding the head a smart cut needs.
 * `prepare(segment)` runs while the next segment renders, so the join after the last segment only
 * copies. Results are kept per file (path, size, modification time) for as long as the service
 * lives; anything not prepared in time is done by the join itself, the same way.
 */
import { rm, stat } from "node:fs/promises"
import * as NodePath from "node:path"
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

const identity = (path: string) =>
  Effect.promise(() =>
    stat(path).then(
      (info) => `${path}\0${info.size}\0${info.mtimeMs}`,
      () => path
    )
  )

export const make: Effect.Effect<Preparation, never, Probe | Scope.Scope> = Effect.gen(function* () {
  const prober = yield* Probe
  // Heads are written beside their segment (not in the system temp dir), so a killed run leaves
  // them where the next run in that directory sweeps them; a closing service removes its own.
  const written = new Set<string>()
  yield* Effect.addFinalizer(() =>
    Effect.promise(() => Promise.all([...written].map((file) => rm(file, { force: true }))))
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
          Effect.suspend(() => {
            const name = `.longsora-prepared-${process.pid}-head_${String(++count).padStart(3, "0")}.mp4`
            const file = NodePath.join(NodePath.dirname(segment.path), name)
            written.add(file)
            return SmartCut.prepareHead(segment, file)
          })
        )
      )
  } satisfies Preparation
})
