import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources in tests (the `@longsora/source` export
// condition); plain `node` resolves them to the built JavaScript, so the CLI starts without
// type-stripping.
const conditions = ["@longsora/source", "module", "node", "import", "default"]

// One project per workspace package; each keeps its tests in test/ beside src/.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@longsora/source"] } },
  test: {
    projects: ["packages/*", "bench"],
    // Runs record their jobs in a machine-wide registry; tests keep theirs out of the user's home.
    env: { LONGSORA_STATE_DIR: join(tmpdir(), `longsora-test-state-${process.pid}`) }
  }
})
