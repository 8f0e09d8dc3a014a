/**
 * Packages people can adopt: `scripts/pack-and-install.sh` packs every published package, installs
 * the tarballs into a blank npm project (third-party dependencies from the registry), checks their
 * licence and metadata, runs `npx longsora … --offline` and an SDK script there, and checks that
 * internal modules cannot be imported from outside.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const script = fileURLToPath(new URL("../../../scripts/pack-and-install.sh", import.meta.url))

describe("the packed packages", { timeout: 300_000 }, () => {
  it("install from their tarballs into a blank project and work there", async () => {
    const { stdout } = await promisify(execFile)("bash", [script], {
      env: { ...process.env, LONGSORA_PACK_BUILT: "1" },
      maxBuffer: 64 * 1024 * 1024
    })
    expect(stdout).toContain("metadata: ok")
    expect(stdout).toMatch(/^sdk: .*output\.mp4 \(4 \+ 4 s, /m)
    expect(stdout.trimEnd().endsWith("pack-and-install: ok")).toBe(true)
  })
})
