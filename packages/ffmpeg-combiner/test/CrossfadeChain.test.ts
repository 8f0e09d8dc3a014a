import { describe, expect, it } from "vitest"
import { CrossfadeChain } from "../src/internal/crossfadeChain.ts"

const toBytes = (samples: Float32Array) => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)
const toSamples = (bytes: Buffer) => {
  const copy = Buffer.from(bytes)
  return new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4)
}

/** Stereo frames where both channels hold `value(n)`. */
const stereo = (frames: number, value: (n: number) => number) =>
  Float32Array.from({ length: frames * 2 }, (_, i) => value(Math.floor(i / 2)))

/** Plays `pieces` through a chain, each cut into chunks of `chunk` bytes (odd sizes split samples). */
const play = (pieces: ReadonlyArray<Float32Array>, window: number, chunk: number) => {
  const chain = new CrossfadeChain(2, window)
  const out: Array<Buffer> = []
  for (const piece of pieces) {
    const bytes = toBytes(piece)
    for (let at = 0; at < bytes.length; at += chunk) out.push(chain.push(Buffer.from(bytes.subarray(at, at + chunk))))
    chain.endPiece()
  }
  out.push(chain.finish())
  return toSamples(Buffer.concat(out))
}

describe("CrossfadeChain", () => {
  const window = 8
  const a = stereo(40, () => 1)
  const b = stereo(30, () => -1)
  const c = stereo(20, (n) => n / 20)

  it("overlaps each piece with the one before by the window, crossfading with quarter sines", () => {
    const out = play([a, b, c], window, 1 << 20)
    expect(out.length / 2).toBe(40 + 30 + 20 - 2 * window)
    // Before the first seam: the first piece as it was.
    expect(out[2 * (40 - window - 1)]).toBe(1)
    // In the window: a fading out (sin of (w-1-i)/w), b fading in (sin of i/w).
    for (let i = 0; i < window; i++) {
      const expected = Math.sin(((window - 1 - i) / window) * (Math.PI / 2)) - Math.sin((i / window) * (Math.PI / 2))
      expect(out[2 * (40 - window + i)]).toBeCloseTo(expected, 6)
      expect(out[2 * (40 - window + i) + 1]).toBeCloseTo(expected, 6)
    }
    // After the window: b alone, then c's end unchanged.
    expect(out[2 * 40]).toBe(-1)
    expect(out.at(-1)).toBeCloseTo(19 / 20, 6)
  })

  it("gives the same output whatever the chunking, samples split across chunks included", () => {
    const whole = play([a, b, c], window, 1 << 20)
    for (const chunk of [1, 3, 7, 8, 13, 64]) expect(play([a, b, c], window, chunk)).toEqual(whole)
  })

  it("refuses a piece shorter than two windows", () => {
    const chain = new CrossfadeChain(2, window)
    chain.push(toBytes(stereo(2 * window - 1, () => 0)))
    expect(() => chain.endPiece()).toThrow(/shorter than two 8-frame windows/)
  })
})
