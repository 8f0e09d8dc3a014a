/**
 * Command handlers loaded when their command runs. Each `…Command` module only declares its flags, so
 * `longsora --help`, `--version` and a bad flag load Effect and its CLI module and nothing else; the
 * module that runs a command (providers, ffmpeg, the emulator) is imported by its handler.
 */
import { Effect } from "effect"

/** A handler that imports `load()` (once, Node caches modules) and calls its `run`. */
export const handler =
  <I, A, E, R>(load: () => Promise<{ readonly run: (input: I) => Effect.Effect<A, E, R> }>) =>
  (input: I): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.promise(load), (module) => module.run(input))
