/**
 * Finds ffmpeg and ffprobe: explicit paths (or `FFMPEG_PATH` / `FFPROBE_PATH` with `layerConfig`), then `PATH`.
 * `check` fails with `MissingDependency` when either is absent or older than {@link minimumVersion}.
 */
import { constants } from "node:fs"
import { access } from "node:fs/promises"
import * as NodePath from "node:path"
import { Errors } from "@longsora/core"
import { Config, Context, Effect, Layer, Option } from "effect"
import * as CheckCache from "./internal/checkCache.ts"
import { run } from "./internal/process.ts"

/** xfade/acrossfade need 4.3; everything else is older. */
export const minimumVersion = { major: 4, minor: 3 } as const

export interface Version {
  readonly major: number
  readonly minor: number
  /** The raw version string, e.g. `5.1.9-0+deb12u1` or `N-112233-gabc` for git builds. */
  readonly text: string
}

export interface Options {
  readonly ffmpegPath?: string | undefined
  readonly ffprobePath?: string | undefined
}

export const installHint =
  "Install ffmpeg (Debian/Ubuntu: `apt-get install ffmpeg`; macOS: `brew install ffmpeg`; Windows: `winget install ffmpeg`) " +
  "or set FFMPEG_PATH and FFPROBE_PATH to the binaries."

export class FfmpegBinary extends Context.Service<
  FfmpegBinary,
  {
    readonly ffmpeg: string
    readonly ffprobe: string
    /** Runs once and is cached: both tools exist and ffmpeg is new enough. */
    readonly check: Effect.Effect<Version, Errors.MissingDependency>
  }
>()("@longsora/ffmpeg-combiner/FfmpegBinary") {}

/** Parses `ffmpeg version 5.1.9-0+deb12u1 …`; git builds (`N-…`, `git-…`) count as new. */
export const parseVersion = (banner: string): Version | undefined => {
  const text = /version\s+(\S+)/.exec(banner)?.[1]
  if (text === undefined) return undefined
  const numbers = /^n?(\d+)\.(\d+)/.exec(text)
  if (numbers) return { major: Number(numbers[1]), minor: Number(numbers[2]), text }
  if (/^(N-|git-|[0-9a-f]{7,}$)/.test(text)) return { major: 99, minor: 0, text }
  return undefined
}

export const isSupported = (version: Version): boolean =>
  version.major > minimumVersion.major ||
  (version.major === minimumVersion.major && version.minor >= minimumVersion.minor)

const isExecutable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false
  )

/** Looks a bare name up on PATH (with PATHEXT on Windows); paths with a separator are taken as given. */
export const resolve = Effect.fnUntraced(function* (name: string) {
  if (name.includes("/") || name.includes("\\")) return NodePath.resolve(name)
  const dirs = (process.env.PATH ?? "").split(NodePath.delimiter).filter((dir) => dir.length > 0)
  const extensions = process.platform === "win32" ? (process.env.PATHEXT ?? ".EXE").split(";") : [""]
  const candidates = dirs.flatMap((dir) => extensions.map((ext) => NodePath.join(dir, name + ext)))
  // Every entry at once, the first in PATH order wins: one file-system round trip at start instead of one per
  // entry (a dozen on a developer's PATH, ~0.3 ms each, before the first create).
  const executable = yield* Effect.promise(() => Promise.all(candidates.map(isExecutable)))
  const found = executable.indexOf(true)
  return found === -1 ? name : candidates[found]!
})

const checkTool = (dependency: string, binary: string, args: ReadonlyArray<string>) =>
  run(binary, args).pipe(
    Effect.mapError(
      (error) =>
        new Errors.MissingDependency({
          dependency,
          detail: `could not run ${binary} (${error.reason.split("\n")[0]})`,
          fix: installHint
        })
    )
  )

export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const [ffmpeg, ffprobe] = yield* Effect.all(
    [resolve(options.ffmpegPath ?? "ffmpeg"), resolve(options.ffprobePath ?? "ffprobe")],
    { concurrency: 2 }
  )
  const fresh = Effect.gen(function* () {
    // One ffmpeg start answers both questions (its banner on stderr has the version, stdout the encoders), and
    // ffprobe starts beside it: each start costs ~0.2 s on a busy box, before the first paid call.
    const [{ stdout: encoders, stderr: banner }] = yield* Effect.all(
      [checkTool("ffmpeg", ffmpeg, ["-encoders"]), checkTool("ffprobe", ffprobe, ["-version"])],
      { concurrency: 2 }
    )
    const version = parseVersion(banner)
    if (version === undefined || !isSupported(version)) {
      return yield* new Errors.MissingDependency({
        dependency: "ffmpeg",
        detail: `${ffmpeg} is version ${version?.text ?? "unknown"}, ${minimumVersion.major}.${minimumVersion.minor} or newer is needed`,
        fix: installHint
      })
    }
    // The smart cut and every re-encode need libx264; minimal builds can lack it.
    if (!/\blibx264\b/.test(encoders)) {
      return yield* new Errors.MissingDependency({
        dependency: "ffmpeg",
        detail: `${ffmpeg} (version ${version.text}) was built without the libx264 encoder`,
        fix: installHint
      })
    }
    return version
  })
  // A pass is remembered across processes (keyed by both binaries' path, size and mtime).
  const check = yield* Effect.cached(
    Effect.gen(function* () {
      const key = yield* Effect.promise(() => CheckCache.keyOf([ffmpeg, ffprobe]))
      const cached = key === undefined ? undefined : yield* Effect.promise(() => CheckCache.lookup(key))
      if (cached) return cached
      const version = yield* fresh
      if (key !== undefined) yield* Effect.promise(() => CheckCache.store(key, version))
      return version
    })
  )
  return FfmpegBinary.of({ ffmpeg, ffprobe, check })
})

export const layer = (options: Options = {}): Layer.Layer<FfmpegBinary> => Layer.effect(FfmpegBinary, make(options))

/** Reads `FFMPEG_PATH` and `FFPROBE_PATH` (both optional) and falls back to `PATH`. */
export const layerConfig: Layer.Layer<FfmpegBinary, Config.ConfigError> = Layer.effect(
  FfmpegBinary,
  Effect.gen(function* () {
    const ffmpegPath = yield* Config.String("FFMPEG_PATH").pipe(Config.option)
    const ffprobePath = yield* Config.String("FFPROBE_PATH").pipe(Config.option)
    return yield* make({
      ffmpegPath: Option.getOrUndefined(ffmpegPath),
      ffprobePath: Option.getOrUndefined(ffprobePath)
    })
  })
)

/** `-fps_mode` replaced `-vsync` in 5.1. Passthrough keeps every decoded frame with its own timestamp. */
export const passthroughArgs = (version: Version): ReadonlyArray<string> =>
  version.major > 5 || (version.major === 5 && version.minor >= 1)
    ? ["-fps_mode", "passthrough"]
    : ["-vsync", "passthrough"]
