/**
 * `plan.json`: a plan as people read and edit it. `longsora plan` writes one, `generate --plan`
 * reads one, and every run keeps its own beside `output.mp4`, so a refused or unwanted prompt is
 * changed there and the run resumed.
 */
import { Effect, FileSystem, Schema } from "effect"
import { Plan, PlanJson } from "./Plan.ts"

export const fileName = "plan.json"

export class PlanFileError extends Schema.TaggedError<PlanFileError>()("PlanFileError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid plan file ${this.path}: ${this.reason}. Write it with \`longsora plan\`, or fix the JSON (brief, segments: [{ prompt, seconds }]).`
  }
}

const decode = Schema.decodeUnknownEffect(PlanJson)
const encode = Schema.encodeEffect(Plan)

export const read = Effect.fnUntraced(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs
    .readFileString(path)
    .pipe(Effect.mapError(() => new PlanFileError({ path, reason: "the file cannot be read" })))
  return yield* decode(text).pipe(Effect.mapError((error) => new PlanFileError({ path, reason: error.message })))
})

/** Writes the plan atomically, indented for people. */
export const write = Effect.fnUntraced(function* (path: string, plan: Plan) {
  const fs = yield* FileSystem.FileSystem
  const encoded = yield* encode(plan).pipe(Effect.orDie)
  const temporary = `${path}.tmp`
  yield* fs.writeFileString(temporary, `${JSON.stringify(encoded, null, 2)}\n`)
  yield* fs.rename(temporary, path)
})
