/** `plan.json`: written by `longsora plan`, edited by people, read by `generate --plan`. */
import { Errors, Plan } from "@longsora/core"
import { Effect, FileSystem, Path, Schema } from "effect"

export class PlanFileError extends Schema.TaggedError<PlanFileError>()("PlanFileError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid --plan ${this.path}: ${this.reason}. Write it with \`longsora plan\`, or fix the JSON (brief, segments: [{ prompt, seconds }]).`
  }
}

const decode = Schema.decodeUnknownEffect(Plan.PlanJson)
const encode = Schema.encodeEffect(Plan.Plan)

export const read = Effect.fnUntraced(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs
    .readFileString(path)
    .pipe(Effect.mapError(() => new PlanFileError({ path, reason: "the file cannot be read" })))
  return yield* decode(text).pipe(Effect.mapError((error) => new PlanFileError({ path, reason: error.message })))
})

export const write = Effect.fnUntraced(function* (path: string, plan: Plan.Plan) {
  const fs = yield* FileSystem.FileSystem
  const encoded = yield* encode(plan).pipe(Effect.orDie)
  const temporary = `${path}.tmp`
  yield* fs.writeFileString(temporary, `${JSON.stringify(encoded, null, 2)}\n`)
  yield* fs.rename(temporary, path)
})

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
