/** The MP4 layer's only way in is `internal/mp4/index.ts`: no other file of the package or its tests reaches past it. */
import { readdirSync, readFileSync } from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = NodePath.join(import.meta.dirname, "..")
const mp4Folder = NodePath.join(root, "src", "internal", "mp4")

const sources = (directory: string): Array<string> =>
  readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = NodePath.join(directory, entry.name)
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : sources(path)
    return entry.name.endsWith(".ts") ? [path] : []
  })

describe("the MP4 layer's boundary", () => {
  it("is entered through index.ts only", () => {
    const reachingIn = sources(root)
      .filter((file) => !file.startsWith(mp4Folder) && !file.includes(`${NodePath.sep}node_modules${NodePath.sep}`))
      .flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)]
          .map((match) => NodePath.resolve(NodePath.dirname(file), match[1]!))
          .filter((target) => target.startsWith(`${mp4Folder}${NodePath.sep}`) && !target.endsWith("index.ts"))
          .map((target) => `${NodePath.relative(root, file)} → ${NodePath.relative(root, target)}`)
      )
    assert.deepStrictEqual(reachingIn, [])
    // The check sees the imports that do go through index.ts.
    assert.isTrue(
      readFileSync(NodePath.join(root, "src", "FfmpegCombiner.ts"), "utf8").includes("internal/mp4/index.ts")
    )
  })
})
