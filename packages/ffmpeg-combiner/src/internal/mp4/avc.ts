/**
 * What the in-process joins need to know of H.264 in MP4: the decoder configuration (`avcC`: NAL length size and
 * parameter sets) and whether a sample is an IDR. A stream that switches to other parameter sets mid-way carries
 * them in-band, in front of the keyframe where they take effect, the way ffmpeg's concat demuxer and MP4 muxer
 * write such joins.
 */
import type { FileHandle } from "node:fs/promises"
import { boxes } from "./boxes.ts"

export interface AvcConfig {
  /** Bytes of the length in front of each NAL unit in a sample (1, 2 or 4). */
  readonly lengthSize: number
  /** Sequence, then picture parameter sets, as NAL units. */
  readonly parameterSets: ReadonlyArray<Buffer>
}

/** The first sample entry's `avcC`; `undefined` when the entry is not `avc1`/`avc3` or the box is malformed. */
export const avcConfig = (stsd: Buffer): AvcConfig | undefined => {
  try {
    // stsd: header 8, version/flags 4, count 4; the entry: size and type (8), 78 bytes of visual fields, its boxes.
    const entry = 16
    const type = stsd.toString("latin1", entry + 4, entry + 8)
    if (type !== "avc1" && type !== "avc3") return undefined
    const entryEnd = Math.min(stsd.length, entry + stsd.readUInt32BE(entry))
    const avcC = boxes(stsd, entry + 8 + 78, entryEnd).find((b) => b.type === "avcC")
    if (!avcC) return undefined
    const lengthSize = (stsd.readUInt8(avcC.start + 4) & 0x03) + 1
    const parameterSets: Array<Buffer> = []
    let at = avcC.start + 5
    // SPS count sits in the low 5 bits of its byte, PPS count in a whole byte.
    for (const mask of [0x1f, 0xff]) {
      const count = stsd.readUInt8(at++) & mask
      for (let n = 0; n < count; n++) {
        const length = stsd.readUInt16BE(at)
        if (at + 2 + length > avcC.end) return undefined
        parameterSets.push(stsd.subarray(at + 2, at + 2 + length))
        at += 2 + length
      }
    }
    return lengthSize === 3 ? undefined : { lengthSize, parameterSets }
  } catch {
    return undefined
  }
}

/** The parameter sets as in-band NAL units, each behind a `lengthSize`-byte length: a prefix for a keyframe. */
export const inBandParameterSets = (config: AvcConfig): Buffer =>
  Buffer.concat(
    config.parameterSets.flatMap((nal) => {
      const length = Buffer.alloc(config.lengthSize)
      length.writeUIntBE(nal.length, 0, config.lengthSize)
      return [length, nal]
    })
  )

/**
 * Follows the parameter sets in force along a stream that starts with `initial`: `switchTo(config)` is the prefix
 * to put in front of the keyframe where `config` takes over, or `undefined` when it is already in force.
 */
export const parameterSetSwitcher = (initial: AvcConfig) => {
  let active = inBandParameterSets(initial)
  return (config: AvcConfig): Buffer | undefined => {
    const next = inBandParameterSets(config)
    const changed = !next.equals(active)
    active = next
    return changed ? next : undefined
  }
}

const NAL_SLICE = 1
const NAL_IDR_SLICE = 5

/**
 * Whether the sample at `offset` (`size` bytes, NAL units behind `lengthSize`-byte lengths) is an IDR picture: its
 * first slice is NAL type 5. Only an IDR empties the decoder's reference buffer, so only an IDR is a place where
 * copied frames can follow re-encoded ones; an open GOP's I-frame is a sync sample too, but the frames after it
 * still build their reference lists from the pictures before it. Reads only the NAL headers.
 */
export const isIdrSample = async (file: FileHandle, offset: number, size: number, lengthSize: number) => {
  const header = Buffer.alloc(lengthSize + 1)
  for (let at = offset; at + lengthSize < offset + size; ) {
    const { bytesRead } = await file.read(header, 0, header.length, at)
    if (bytesRead < header.length) return false
    const type = header.readUInt8(lengthSize) & 0x1f
    if (type === NAL_IDR_SLICE) return true
    if (type === NAL_SLICE) return false
    at += lengthSize + header.readUIntBE(0, lengthSize)
  }
  return false
}
