/** `plan.json`: written by `longsora plan`, edited by people, read by `generate --plan` (core's rule). */
import { Errors, PlanFile } from "@longsora/core"
import { Effect, FileSystem, Path } from "effect"

export const { PlanFileError, read, write } = PlanFile

/** Checks that `path` can be written before the planner is paid to fill it: an existing, writable directory. */
export const checkWritable = Effect.fnUntraced(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  const directory = (yield* Path.Path).dirname(path)
  const refuse = (allowed: string, fix: string) =>
    new Errors.InvalidRequest({ field: "out", given: path, allowed, fix })
  const target = yield* fs.stat(path).pipe(Effect.option)
  if (target._tag === "Some" && target.value.type === "Directory") {
    return yield* refuse("a file path", `${path} is a directory; name a file in it, e.g. ${path}/plan.json.`)
  }
  const parent = yield* fs.stat(directory).pipe(Effect.option)
  if (parent._tag === "None" || parent.value.type !== "Directory") {
    return yield* refuse("a file in an existing directory", `Create ${directory} first, or write the plan elsewhere.`)
  }
  yield* fs
    .access(directory, { writable: true })
    .pipe(Effect.mapError(() => refuse("a file in a writable directory", `${directory} is not writable.`)))
})
