/**
 * What a killed run leaves in its output directory: its working directory, partial downloads and the
 * combiner's temporary join directories. (Temp files elsewhere are their owners' to sweep.) A run removes them when it starts, once it holds the directory's lock
 * (so they cannot belong to a live run).
 */
import { Effect, FileSystem, Path } from "effect"
import { directoryName } from "./Manifest.ts"

/** Names of temporary entries, by the directory they are left in. */
const isStateLeftover = (name: string) => name.startsWith("work-") || name.endsWith(".tmp")
const isSegmentLeftover = (name: string) => name.startsWith(".") && name.endsWith(".part")
const isOutputLeftover = (name: string) => name.startsWith(".longsora-join-") || /^\.output\.mp4\..*\.part$/.test(name)

/** Removes the leftovers of earlier runs; what cannot be listed or removed is left alone. */
export const remove = Effect.fnUntraced(function* (outputDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const stateDir = path.join(outputDir, directoryName)
  const sweep = (directory: string, isLeftover: (name: string) => boolean) =>
    fs.readDirectory(directory).pipe(
      Effect.orElseSucceed(() => [] as ReadonlyArray<string>),
      Effect.flatMap((names) =>
        Effect.forEach(
          names.filter(isLeftover),
          (name) => fs.remove(path.join(directory, name), { recursive: true }).pipe(Effect.ignore),
          { discard: true }
        )
      )
    )
  yield* sweep(stateDir, isStateLeftover)
  yield* sweep(path.join(outputDir, "segments"), isSegmentLeftover)
  yield* sweep(path.join(stateDir, "segments"), isSegmentLeftover)
  yield* sweep(outputDir, isOutputLeftover)
})
