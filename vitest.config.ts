import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// One project per workspace package; each keeps its tests in test/ beside src/.
export default defineConfig({
  test: {
    projects: ["packages/*", "bench"],
    // Runs record their jobs in a machine-wide registry; tests keep theirs out of the user's home.
    env: { LONGSORA_STATE_DIR: join(tmpdir(), `longsora-test-state-${process.pid}`) }
  }
})
