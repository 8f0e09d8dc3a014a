/**
 * What a start of the built `longsora` loads: `--help` and a command's `--help` need the command line only, not the
 * SDK with its providers (the openai client, the AI SDK), the emulator or sharp. A module-loading hook records every
 * file the process loads; the bundle's chunks are then searched for the packages they were built from.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { bin } from "./CliProcess.ts"

const dir = mkdtempSync(join(tmpdir(), "longsora-startup-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const hooks = join(dir, "hooks.mjs")
writeFileSync(
  hooks,
  `import { appendFileSync } from "node:fs"
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(process.env.LONGSORA_LOAD_LOG, url + "\\n")
  return next(url, context)
}
`
)
const preload = join(dir, "preload.mjs")
writeFileSync(preload, `import { register } from "node:module"\nregister(${JSON.stringify(`file://${hooks}`)})\n`)

/** The packages whose code the files loaded by `longsora ARGS` were bundled from. */
const packagesLoaded = (args: ReadonlyArray<string>) => {
  const log = join(dir, `${args.join("-")}.log`)
  writeFileSync(log, "")
  execFileSync(process.execPath, ["--import", preload, bin, ...args], {
    env: { ...process.env, LONGSORA_LOAD_LOG: log },
    stdio: "ignore"
  })
  const files = readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((url) => fileURLToPath(url))
  const packages = new Set<string>()
  for (const file of files) {
    // esbuild marks each bundled module with its path: `// ../../node_modules/.pnpm/openai@6.1.0/node_modules/openai/…`.
    for (const match of readFileSync(file, "utf8").matchAll(/^\/\/ \S*node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)) {
      packages.add(match[1]!)
    }
    // Workspace modules as `@longsora/emulator/Flags.ts`: the command line shares some (the emulator's flag table).
    for (const match of readFileSync(file, "utf8").matchAll(/^\/\/ \.\.\/([a-z-]+)\/src\/(\S+)$/gm)) {
      packages.add(`@longsora/${match[1]!}/${match[2]!}`)
    }
  }
  return packages
}

/** Workspace modules outside core that the command line needs for its flags, defaults and messages: no I/O. */
const light = new Set([
  "@longsora/emulator/Flags.ts",
  "@longsora/emulator/Defaults.ts",
  "@longsora/server/Defaults.ts",
  "@longsora/mcp/Defaults.ts",
  "@longsora/sora-provider/ImageModels.ts",
  "@longsora/ai-sdk/JobId.ts"
])

describe("the built longsora's start", () => {
  it.each(["--help", "generate --help", "regenerate --help", "serve --help"])(
    "longsora %s loads the command line only: no SDK, provider clients, emulator or sharp",
    (line) => {
      const args = line.split(" ")
      const loaded = packagesLoaded(args)
      expect([...loaded]).toEqual(expect.arrayContaining(["effect", "@longsora/core/Validation.ts"]))
      const heavy = [...loaded].filter(
        (name) =>
          ["openai", "ai", "zod", "sharp", "busboy"].includes(name) ||
          name.startsWith("@ai-sdk/") ||
          (/^@longsora\/(?!core\/)/.test(name) && !light.has(name))
      )
      expect(heavy, `${args.join(" ")} loaded them`).toEqual([])
    },
    30_000
  )
})
