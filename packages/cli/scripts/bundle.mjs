/**
 * Bundles the `longsora` executable over tsc's output: `dist/bin.js` becomes one ES module holding what every
 * command needs at start (Effect, effect/cli, the flags), and each lazily imported part (a command's handler, the
 * providers, the emulator, the server, MCP) one chunk beside it, still loaded only when used. Node then reads a
 * few dozen files at start instead of about a thousand modules (ES module resolution was most of the start-up).
 * Workspace packages are taken from their sources (`@longsora/source`). Left outside: native and CommonJS
 * packages loaded on demand (sharp, fluent-ffmpeg) and the AI SDK provider packages a user installs, imported
 * by name at run time.
 */
import { readdir, rm } from "node:fs/promises"
import { join } from "node:path"
import { build } from "esbuild"

const root = new URL("..", import.meta.url).pathname
const dist = join(root, "dist")

// Chunks of an earlier bundle go first (their names carry hashes).
for (const name of await readdir(dist)) {
  if (name.startsWith("chunk-") && name.endsWith(".js")) await rm(join(dist, name))
}

await build({
  absWorkingDir: root,
  entryPoints: { bin: "src/bin.ts" },
  outdir: dist,
  // Beside bin.js: `createRequire(import.meta.url)("../package.json")` (the version) resolves the same from both.
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  conditions: ["@longsora/source"],
  external: ["sharp", "fluent-ffmpeg"],
  // CommonJS dependencies call `require` for Node's built-ins; an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __longsoraCreateRequire } from "node:module"; const require = __longsoraCreateRequire(import.meta.url);'
  },
  legalComments: "none",
  logLevel: "warning"
})
