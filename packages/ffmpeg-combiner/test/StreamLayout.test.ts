import { readFileSync, writeFileSync } from "node:fs"
import * as NodePath from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type Layout, streamLayout } from "../src/internal/mp4/index.ts"
import { tempDir } from "./fixtures.ts"

const { dir, cleanup } = tempDir("stream-layout")
afterAll(cleanup)

/** A file of `size` bytes, each byte a function of the file and its position. */
const source = (name: string, size: number, seed: number) => {
  const path = NodePath.join(dir, name)
  writeFileSync(path, Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed * 7) & 0xff)))
  return path
}

describe("streamLayout", () => {
  it("writes every part's bytes in order, across more sources than it keeps open and parts larger than its block", async () => {
    const files = Array.from({ length: 6 }, (_, k) => source(`s${k}.bin`, 300_000 + k * 1000, k))
    const large = source("large.bin", 3 * 1024 * 1024 + 17, 9)
    const parts: Array<Layout["parts"][number]> = []
    // Small parts hopping between sources, forwards and backwards, with gaps; bytes given as they are; a large part.
    for (let n = 0; n < 400; n++) {
      const path = files[(n * 5) % files.length]!
      const start = (n * 7919) % 290_000
      parts.push({ path, start, end: start + 1 + ((n * 131) % 5000) })
      if (n % 50 === 0) parts.push({ bytes: Buffer.from(`in-band ${n}`) })
      if (n === 200) parts.push({ path: large, start: 5, end: 3 * 1024 * 1024 + 17 })
    }
    const layout: Layout = { head: Buffer.from("head"), parts }
    const expected = Buffer.concat([
      layout.head,
      ...parts.map((part) => ("bytes" in part ? part.bytes : readFileSync(part.path).subarray(part.start, part.end)))
    ])
    const chunks: Array<Buffer> = []
    // A small chunk size, so parts also split across chunks.
    await streamLayout(layout, async (chunk) => void chunks.push(Buffer.from(chunk)), 64 * 1024)
    expect(Buffer.concat(chunks).equals(expected)).toBe(true)
  })
})
