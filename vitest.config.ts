import { defineConfig } from "vitest/config"

// One project per workspace package; each keeps its tests in test/ beside src/.
export default defineConfig({
  test: {
    projects: ["packages/*", "bench"]
  }
})
