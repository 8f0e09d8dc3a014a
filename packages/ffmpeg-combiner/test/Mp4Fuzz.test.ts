/**
 * Property-based fuzzing of the MP4 layer (fast-check): random bytes, random box trees, the golden files truncated,
 * with random bytes overwritten, and with 32-bit fields (sizes, counts) set to extremes. Whatever the input, every
 * API call ends in "parsed" or "fall back": it never throws, never runs long, and never allocates a buffer or table
 * larger than the file. A failure prints fast-check's seed and the shrunk input; `FC_SEED=<seed>` replays it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Mp4 from "../src/internal/mp4/index.ts"

const fixtureDir = NodePath.join(import.meta.dirname, "fixtures", "mp4")
const fixtures = readdirSync(fixtureDir)
  .filter((name) => /\.(mp4|mov|m4a)$/.test(name))
  .map((name) => new Uint8Array(readFileSync(NodePath.join(fixtureDir, name))))
const workDir = mkdtempSync(NodePath.join(tmpdir(), "longsora-mp4-fuzz-"))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined
const runs = (numRuns: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }) })

// --- allocation watch -------------------------------------------------------------------------------------------

/**
 * Records the largest buffer (bytes) and typed array (elements) made while `body` runs, by standing in for the
 * global constructors the layer calls. Node's own small internals stay under the 64-unit floor the check allows.
 */
const watchingAllocations = async <A>(body: () => Promise<A>): Promise<{ result: A; largest: number }> => {
  let largest = 0
  const note = (n: unknown) => {
    if (typeof n === "number" && n > largest) largest = n
  }
  const originals = {
    Uint32Array: globalThis.Uint32Array,
    Int32Array: globalThis.Int32Array,
    Float64Array: globalThis.Float64Array,
    Uint8Array: globalThis.Uint8Array,
    alloc: Buffer.alloc,
    allocUnsafe: Buffer.allocUnsafe
  }
  // biome-ignore lint/suspicious/noExplicitAny: a class that extends a constructor parameter must take any[]
  const counting = <T extends new (...args: Array<any>) => object>(Base: T): T =>
    class extends Base {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      constructor(...args: Array<any>) {
        note(args[0])
        super(...args)
      }
    }
  globalThis.Uint32Array = counting(originals.Uint32Array)
  globalThis.Int32Array = counting(originals.Int32Array)
  globalThis.Float64Array = counting(originals.Float64Array)
  Buffer.alloc = ((size: number, fill?: string | Buffer | number, encoding?: BufferEncoding) => {
    note(size)
    return originals.alloc(size, fill, encoding)
  }) as typeof Buffer.alloc
  Buffer.allocUnsafe = ((size: number) => {
    note(size)
    return originals.allocUnsafe(size)
  }) as typeof Buffer.allocUnsafe
  try {
    return { result: await body(), largest }
  } finally {
    globalThis.Uint32Array = originals.Uint32Array
    globalThis.Int32Array = originals.Int32Array
    globalThis.Float64Array = originals.Float64Array
    Buffer.alloc = originals.alloc
    Buffer.allocUnsafe = originals.allocUnsafe
  }
}

// --- the property ---------------------------------------------------------------------------------------------------

let cases = 0

/** Runs every API on `bytes` and checks the three promises. Returns the outcome of `readMovie`. */
const exercise = async (bytes: Uint8Array): Promise<"parsed" | "fall back"> => {
  const path = NodePath.join(workDir, `case-${cases++ % 8}.mp4`)
  writeFileSync(path, bytes)
  const started = performance.now()
  // Reading: the part that meets the file, watched for allocations.
  const { result: read, largest } = await watchingAllocations(async () => ({
    movie: await Mp4.readMovie(path),
    sync: await Mp4.videoSyncSamples(path),
    priming: await Mp4.audioPrimingSeconds(path),
    idr: await Mp4.videoIdrFrames(path, 4),
    cuttable: await Mp4.cuttableByCopy(path)
  }))
  assert.isAtMost(largest, Math.max(bytes.length, 64), "allocated more than the file's size")
  const { movie, sync, priming, idr, cuttable } = read
  assert.isTrue(sync === undefined || sync === "all" || Array.isArray(sync))
  assert.isTrue(priming === undefined || Number.isFinite(priming))
  assert.isTrue(idr === undefined || Array.isArray(idr))
  assert.isBoolean(cuttable)
  if (movie) {
    // Parsed: every table agrees with the file, and everything built on it ends in a value or a reason.
    for (const track of movie.tracks) {
      assert.strictEqual(track.durations.length, track.sizes.length)
      for (let i = 0; i < track.sizes.length; i++) {
        assert.isAtMost(track.offsets[i]! + track.sizes[i]!, bytes.length, "a sample past the end of the file")
      }
    }
    const timing = Mp4.videoTiming(movie)
    assert.isTrue(timing === undefined || Number.isFinite(timing.fps))
    Mp4.lastFrameClip(movie)
    for (const drop of [false, true]) {
      const plan = Mp4.planCopy([movie, movie], drop)
      assert.isTrue(typeof plan === "string" || plan.layout.head.length > 0)
    }
    const smart = Mp4.planSmartCut([movie, movie], [{ keyframe: 1, head: movie }])
    assert.isTrue(typeof smart === "string" || smart.frames > 0)
  }
  assert.isBelow(performance.now() - started, 1000, "took too long: a loop?")
  return movie ? "parsed" : "fall back"
}

// --- inputs -----------------------------------------------------------------------------------------------------

const fixture = fc.constantFrom(...fixtures)

const truncated = fc
  .tuple(fixture, fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([bytes, at]) => bytes.subarray(0, Math.floor(bytes.length * at)))

const mutated = fc
  .tuple(fixture, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 }))
  .map(([bytes, writes]) => {
    const copy = Uint8Array.from(bytes)
    for (const [at, value] of writes) copy[at % copy.length] = value
    return copy
  })

/** Offsets of every box header in `bytes`, descending into the containers the layer reads. */
const boxOffsets = (bytes: Uint8Array): Array<number> => {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const containers = new Set(["moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "mvex", "moof", "traf"])
  const found: Array<number> = []
  const walk = (start: number, end: number) => {
    for (let at = start; at + 8 <= end; ) {
      const size = view.readUInt32BE(at)
      if (size < 8 || at + size > end) return
      found.push(at)
      if (containers.has(view.toString("latin1", at + 4, at + 8))) walk(at + 8, at + size)
      // stsd's entries hold boxes too (avcC, esds): walk past the visual or audio fields.
      if (view.toString("latin1", at + 4, at + 8) === "stsd") found.push(at + 16, at + 16 + 86, at + 16 + 36)
      at += size
    }
  }
  walk(0, bytes.length)
  return found
}

const extremes = fc.oneof(
  fc.constantFrom(0, 1, 2, 7, 8, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff })
)

/** A 32-bit field near a box header (its size, version/flags, an entry count, a first entry) set to an extreme. */
const fieldMutated = fc
  .tuple(
    fixture,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 5 }), extremes), { minLength: 1, maxLength: 4 })
  )
  .map(([bytes, writes]) => {
    const copy = Buffer.from(bytes)
    const offsets = boxOffsets(bytes)
    for (const [box, field, value] of writes) {
      const at = offsets[box % offsets.length]! + field * 4
      if (at + 4 <= copy.length) copy.writeUInt32BE(value, at)
    }
    return new Uint8Array(copy)
  })

const boxTypes = [
  "ftyp",
  "moov",
  "mvhd",
  "trak",
  "tkhd",
  "mdia",
  "mdhd",
  "hdlr",
  "minf",
  "vmhd",
  "smhd",
  "dinf",
  "stbl",
  "stsd",
  "stts",
  "ctts",
  "stss",
  "stsc",
  "stsz",
  "stco",
  "co64",
  "edts",
  "elst",
  "mdat",
  "mvex",
  "moof",
  "free"
] as const

/** A random tree of MP4 boxes: well-formed sizes, random types and payloads (counts first, like the tables). */
const randomBoxes: fc.Arbitrary<Uint8Array> = fc
  .letrec<{ box: Uint8Array; boxes: Uint8Array }>((tie) => ({
    box: fc.oneof(
      { depthSize: "small" },
      fc
        .tuple(fc.constantFrom(...boxTypes), fc.uint8Array({ maxLength: 48 }), extremes)
        .map(([type, payload, count]) => {
          const body = Buffer.alloc(8 + payload.length)
          body.writeUInt32BE(count, 4)
          body.set(payload, 8)
          return box(type, body)
        }),
      fc.tuple(fc.constantFrom(...boxTypes), tie("boxes")).map(([type, children]) => box(type, children))
    ),
    boxes: fc.array(tie("box") as fc.Arbitrary<Uint8Array>, { maxLength: 4 }).map((list) => Buffer.concat(list))
  }))
  .boxes.map((bytes) => new Uint8Array(bytes))

function box(type: string, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(8 + payload.length, 0)
  header.write(type, 4, "latin1")
  return Buffer.concat([header, payload])
}

// --- properties -----------------------------------------------------------------------------------------------------

const holds = (input: fc.Arbitrary<Uint8Array>, numRuns: number) =>
  fc.assert(
    fc.asyncProperty(input, async (bytes) => {
      await exercise(bytes)
    }),
    runs(numRuns)
  )

describe("the MP4 layer under fuzzing: parsed or fall back, never a throw, a hang or a large allocation", () => {
  it("random bytes", () => holds(fc.uint8Array({ maxLength: 2048 }), 150), 30_000)
  it("random box trees", () => holds(randomBoxes, 250), 30_000)
  it("golden files truncated anywhere", () => holds(truncated, 150), 30_000)
  it("golden files with random bytes overwritten", () => holds(mutated, 300), 30_000)
  it("golden files with sizes and counts set to extremes", () => holds(fieldMutated, 300), 30_000)

  it("the untouched golden files themselves parse or fall back as the golden test says", async () => {
    // One at a time: the allocation watch is process-wide.
    const outcomes: Array<string> = []
    for (const bytes of fixtures) outcomes.push(await exercise(bytes))
    assert.includeMembers(outcomes, ["parsed", "fall back"])
  })

  it("a header claiming four billion samples falls back without allocating for them", async () => {
    const bytes = fixtures.find((f) => Buffer.from(f).includes("avc1") && Buffer.from(f).includes("stsz"))!
    const claims = (type: string, field: number) => {
      const copy = Buffer.from(bytes)
      copy.writeUInt32BE(0xffffffff, copy.indexOf(type, 0, "latin1") + 4 + field)
      return new Uint8Array(copy)
    }
    // stsz: one size for all, 2³²−1 samples; stts: one run of 2³²−1; stsc: a first chunk far past the table.
    const stszFixed = Buffer.from(claims("stsz", 8))
    stszFixed.writeUInt32BE(1, stszFixed.indexOf("stsz", 0, "latin1") + 8)
    for (const input of [new Uint8Array(stszFixed), claims("stts", 8), claims("stsc", 8)]) {
      assert.strictEqual(await exercise(input), "fall back")
    }
  })
})
