import { describe, expect, it } from "vitest"
import { concatList } from "../src/internal/concat.ts"
import { needsCrop } from "../src/internal/image.ts"
import { LastFrameSink } from "../src/internal/LastFrame.ts"
import { AdtsSplitter } from "../src/internal/mp4/index.ts"

describe("concatList", () => {
  it("rounds in-points up to the microsecond so the seek lands on the keyframe, and quotes paths", () => {
    // Frame 31 at 30 fps in a 1/15360 time base: 15872/15360 s = 1.0333333… s.
    const list = concatList([
      { file: "/tmp/it's here/a.mp4", inpoint: 0, duration: 4 },
      { file: "/tmp/b.mp4", inpoint: 15872 / 15360, duration: 89 / 30 }
    ])
    expect(list).toBe(
      "ffconcat version 1.0\n" +
        "file '/tmp/it'\\''s here/a.mp4'\ninpoint 0.000000\nduration 4.000000\n" +
        "file '/tmp/b.mp4'\ninpoint 1.033334\nduration 2.966667\n"
    )
  })
})

describe("LastFrameSink", () => {
  it("keeps only the last whole frame, whatever the chunking", () => {
    const sink = new LastFrameSink(4)
    // Frames 1111 2222 3333, split unevenly.
    for (const chunk of [
      [1, 1, 1],
      [1, 2],
      [2, 2, 2, 3, 3],
      [3, 3]
    ])
      sink.write(Buffer.from(chunk))
    expect(sink.frames).toBe(3)
    expect(sink.complete).toBe(true)
    expect([...sink.frame]).toEqual([3, 3, 3, 3])
    sink.write(Buffer.from([4]))
    expect(sink.complete).toBe(false)
  })
})

describe("AdtsSplitter", () => {
  /** A minimal ADTS frame: 7-byte header with the 13-bit length, then payload bytes. */
  const frame = (payload: number, fill: number) => {
    const length = 7 + payload
    const header = [
      0xff,
      0xf1,
      0x50,
      0x80 | ((length >> 11) & 0x03),
      (length >> 3) & 0xff,
      ((length & 0x07) << 5) | 0x1f,
      0xfc
    ]
    return Buffer.from([...header, ...Array.from({ length: payload }, () => fill)])
  }

  it("splits frames across arbitrary chunk boundaries and rejects lost sync", () => {
    const stream = Buffer.concat([frame(3, 1), frame(10, 2), frame(1, 3)])
    const seen: Array<[number, number]> = []
    const splitter = new AdtsSplitter((f, index) => seen.push([index, f.length]))
    for (let i = 0; i < stream.length; i += 5) splitter.write(stream.subarray(i, i + 5))
    expect(seen).toEqual([
      [0, 10],
      [1, 17],
      [2, 8]
    ])
    expect(splitter.pending).toBe(0)
    // Lost sync stops the split without a throw: the caller re-encodes the audio.
    const lost = new AdtsSplitter(() => {})
    lost.write(Buffer.alloc(8))
    expect(lost.failure).toMatch(/sync/)
    expect(splitter.failure).toBeUndefined()
  })
})

describe("image sizes", () => {
  it("says when covering the target needs a crop", () => {
    expect(needsCrop({ width: 1920, height: 1080 }, { width: 1280, height: 720 })).toBe(false)
    expect(needsCrop({ width: 1281, height: 720 }, { width: 1280, height: 720 })).toBe(false)
    expect(needsCrop({ width: 1280, height: 720 }, { width: 720, height: 1280 })).toBe(true)
    expect(needsCrop({ width: 1024, height: 1024 }, { width: 1280, height: 720 })).toBe(true)
  })
})
