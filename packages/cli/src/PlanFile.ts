/** `plan.json`: written by `longsora plan`, edited by people, read by `generate --plan`. */
import { Plan } from "@longsora/core"
import { Effect, FileSystem, Schema } from "effect"

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
