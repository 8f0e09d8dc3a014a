/**
 * Resources: the recent runs (`longsora://runs`), each run's status (`longsora://runs/{run}`), and
 * its files (`longsora://runs/{run}/{file}`: the video, the plan, the seams contact sheet).
 */
import { Errors } from "@longsora/core"
import { Effect, FileSystem, Path, Schema } from "effect"
import { McpSchema, McpServer } from "effect/ai"
import type * as LiveRuns from "./LiveRuns.ts"
import * as Runs from "./Runs.ts"
import { RunName } from "./ToolParams.ts"

/** The files of a run worth reading, with their types. */
export const files = {
  "output.mp4": "video/mp4",
  "plan.json": "application/json",
  "seams.png": "image/png"
} as const

const FileName = Schema.Literals(Object.keys(files) as Array<keyof typeof files>)

const recentLimit = 20

const missingFile = (run: string, file: string) =>
  new Errors.InvalidRequest({
    field: "file",
    given: `${file} of run ${run}, which does not exist (yet)`,
    allowed: `${Object.keys(files).join(", ")} of a run that has made them`,
    fix: "Call status: output.mp4 exists once the run has finished, seams.png once inspect has run."
  })

const json = (uri: string, value: unknown) => ({
  contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, 2) }]
})

export const registerAll = Effect.fnUntraced(function* (runsDir: string, liveRuns: LiveRuns.LiveRuns) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const statusOf = (run: string) =>
    Runs.status(runsDir, run, liveRuns.get(path.resolve(runsDir, run))).pipe(
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.provideService(Path.Path, path)
    )

  yield* McpServer.registerResource({
    uri: "longsora://runs",
    name: "Recent runs",
    description: `The ${recentLimit} most recent runs under ${runsDir}, newest first, with their state`,
    mimeType: "application/json",
    content: Effect.gen(function* () {
      const entries = (yield* Runs.list(runsDir)).slice(0, recentLimit)
      const runs = yield* Effect.forEach(entries, (entry) =>
        statusOf(entry.run).pipe(
          Effect.map(({ run, state, completedSegments, totalSegments, output }) => ({
            run,
            uri: `longsora://runs/${run}`,
            state,
            completedSegments,
            totalSegments,
            output,
            modifiedAt: new Date(entry.modifiedAt).toISOString()
          })),
          Effect.option
        )
      )
      return json(
        "longsora://runs",
        runs.flatMap((run) => (run._tag === "Some" ? [run.value] : []))
      )
    }).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))
  })

  yield* McpServer.registerResource`longsora://runs/${McpSchema.param("run", RunName)}`({
    name: "Run status",
    description: "A run's state and progress per segment, from its manifest",
    mimeType: "application/json",
    content: (uri, run) => Effect.map(statusOf(run), (status) => json(uri, status))
  })

  yield* McpServer.registerResource`longsora://runs/${McpSchema.param("run", RunName)}/${McpSchema.param("file", FileName)}`(
    {
      name: "Run file",
      description:
        "A file of a run: output.mp4 (the video), plan.json (the plan) or seams.png (the seams contact sheet)",
      content: (uri, run, file) =>
        fs.readFile(path.resolve(runsDir, run, file)).pipe(
          Effect.mapError(() => missingFile(run, file)),
          Effect.map((bytes) => ({
            contents: [
              files[file] === "application/json"
                ? { uri, mimeType: files[file], text: new TextDecoder().decode(bytes) }
                : { uri, mimeType: files[file], blob: bytes }
            ]
          }))
        )
    }
  )
})
