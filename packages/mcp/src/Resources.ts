/**
 * Resources: the recent runs (`longsora://runs`), each run's status (`longsora://runs/{run}`), and
 * its files (`longsora://runs/{run}/{file}`: the video, the plan, the seams contact sheet), read from
 * whichever store keeps the runs (a directory for `longsora mcp`, the server's jobs over HTTP).
 */
import { Errors } from "@longsora/core"
import { Effect, FileSystem, Path, Schema } from "effect"
import { McpSchema, McpServer } from "effect/ai"
import type * as RunStore from "./RunStore.ts"
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

export const registerAll = Effect.fnUntraced(function* (runs: RunStore.RunStore) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const server = yield* McpServer.McpServer
  /**
   * A store's call with the registering layer's services. The request context is left out on
   * purpose: only `status` with `watch` (progress notifications) reads it, and resources never watch.
   */
  const local = <A, E>(effect: Effect.Effect<A, E, RunStore.CallServices>) =>
    effect.pipe(
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.provideService(Path.Path, path),
      Effect.provideService(McpServer.McpServer, server)
    ) as Effect.Effect<A, E>

  yield* McpServer.registerResource({
    uri: "longsora://runs",
    name: "Recent runs",
    description: `The ${recentLimit} most recent runs, newest first, with their state`,
    mimeType: "application/json",
    content: local(runs.recent(recentLimit)).pipe(
      Effect.map((recent) =>
        json(
          "longsora://runs",
          recent.map((summary) => ({ ...summary, uri: `longsora://runs/${summary.run}` }))
        )
      )
    )
  })

  yield* McpServer.registerResource`longsora://runs/${McpSchema.param("run", RunName)}`({
    name: "Run status",
    description: "A run's state and progress per segment",
    mimeType: "application/json",
    content: (uri, run) => local(runs.status({ run })).pipe(Effect.map((reply) => json(uri, reply.structured)))
  })

  yield* McpServer.registerResource`longsora://runs/${McpSchema.param("run", RunName)}/${McpSchema.param("file", FileName)}`(
    {
      name: "Run file",
      description:
        "A file of a run: output.mp4 (the video), plan.json (the plan) or seams.png (the seams contact sheet)",
      content: (uri, run, file) =>
        local(runs.files(run)).pipe(
          Effect.flatMap(({ outputDir }) => fs.readFile(path.join(outputDir, file))),
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
