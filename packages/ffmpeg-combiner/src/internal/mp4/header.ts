/**
 * The header (`ftyp`, `moov`, `mdat` box header) of an MP4 whose sample tables are given whole. Boxes are built as
 * lists of buffers and joined once: nesting `Buffer.concat` per level copied a long video's tables five times over,
 * twice (about 17× the header's size in garbage; 25 MB for a 40-minute join).
 */
import { shownTicks, type Track } from "./tables.ts"

/** One output track's samples, in decode order. */
export interface Laid {
  /** The track whose header boxes (`tkhd`, `mdhd`, `hdlr`, `stsd`, …) the output copies. */
  readonly track: Track
  readonly editMediaTime: number
  readonly sizes: Uint32Array
  /** From the start of the output's media data (after the `mdat` header). */
  readonly offsets: Float64Array
  readonly durations: Uint32Array
  readonly compositionOffsets: Int32Array | undefined
  /** 1-based sync sample numbers, as `stss` stores them. */
  readonly sync: Uint32Array | undefined
}

/** A box not joined yet: its size and the buffers that make it, in order. */
interface Tree {
  readonly size: number
  readonly parts: ReadonlyArray<Buffer>
}

const sizeOf = (content: Buffer | Tree) => (Buffer.isBuffer(content) ? content.length : content.size)

const box = (type: string, ...payload: ReadonlyArray<Buffer | Tree>): Tree => {
  const size = 8 + payload.reduce((sum, content) => sum + sizeOf(content), 0)
  const header = Buffer.alloc(8)
  header.writeUInt32BE(size, 0)
  header.write(type, 4, "latin1")
  return { size, parts: [header, ...payload.flatMap((c) => (Buffer.isBuffer(c) ? [c] : c.parts))] }
}

const fullBox = (type: string, version: number, ...payload: ReadonlyArray<Buffer | Tree>) => {
  const head = Buffer.alloc(4)
  head.writeUInt8(version, 0)
  return box(type, head, ...payload)
}

/** A table payload: `prefix` (an entry count by default), then 32-bit values (negative ones as signed). */
const table = (values: ArrayLike<number>, prefix: ReadonlyArray<number> = [values.length]) => {
  const buffer = Buffer.alloc((prefix.length + values.length) * 4)
  const write = (v: number, at: number) => (v < 0 ? buffer.writeInt32BE(v, at) : buffer.writeUInt32BE(v, at))
  prefix.forEach((v, i) => {
    write(v, i * 4)
  })
  for (let i = 0; i < values.length; i++) write(values[i]!, (prefix.length + i) * 4)
  return buffer
}

/** `(count, value)` runs of consecutive equal values, as `stts` and `ctts` store them. */
const runLength = (values: ArrayLike<number>) => {
  let runs = 0
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1]) runs++
  const buffer = Buffer.alloc(4 + runs * 8)
  buffer.writeUInt32BE(runs, 0)
  let at = -4
  let count = 0
  for (let i = 0; i < values.length; i++) {
    if (i === 0 || values[i] !== values[i - 1]) {
      if (i > 0) buffer.writeUInt32BE(count, at)
      at += 8
      count = 0
      const v = values[i]!
      if (v < 0) buffer.writeInt32BE(v, at + 4)
      else buffer.writeUInt32BE(v, at + 4)
    }
    count++
  }
  if (values.length > 0) buffer.writeUInt32BE(count, at)
  return buffer
}

/** A copy of a header box with its 32- or 64-bit duration field replaced (`mvhd`, `tkhd`, `mdhd`). */
const withDuration = (whole: Buffer, offsets: { readonly v0: number; readonly v1: number }, duration: number) => {
  const copy = Buffer.from(whole)
  // Payload starts after the 8-byte header; byte 0 of it is the version.
  if (copy.readUInt8(8) === 1) copy.writeBigUInt64BE(BigInt(duration), 8 + offsets.v1)
  else if (duration <= 0xffffffff) copy.writeUInt32BE(duration, 8 + offsets.v0)
  else throw new RangeError(`duration ${duration} does not fit a version-0 ${whole.toString("latin1", 4, 8)}`)
  return copy
}
/** A copy of a `tkhd` with its track id replaced: tracks copied from several files may share one. */
const withTrackId = (tkhd: Buffer, id: number) => {
  const copy = Buffer.from(tkhd)
  copy.writeUInt32BE(id, 8 + (copy.readUInt8(8) === 1 ? 20 : 12))
  return copy
}
/** A copy of an `mvhd` whose next track id follows the output's `tracks`. */
const withNextTrackId = (mvhd: Buffer, tracks: number) => {
  const copy = Buffer.from(mvhd)
  copy.writeUInt32BE(tracks + 1, 8 + (copy.readUInt8(8) === 1 ? 108 : 96))
  return copy
}
const mvhdDuration = { v0: 16, v1: 24 }
const tkhdDuration = { v0: 20, v1: 28 }
const mdhdDuration = mvhdDuration

/** `stco`/`co64` with room for every offset; `fill(dataStart)` writes them once the header's size is known. */
const chunkOffsets = (offsets: Float64Array, large: boolean) => {
  const payload = Buffer.alloc(4 + offsets.length * (large ? 8 : 4))
  payload.writeUInt32BE(offsets.length, 0)
  const fill = (dataStart: number) => {
    for (let i = 0; i < offsets.length; i++) {
      if (large) payload.writeBigUInt64BE(BigInt(dataStart + offsets[i]!), 4 + i * 8)
      else payload.writeUInt32BE(dataStart + offsets[i]!, 4 + i * 4)
    }
  }
  return { box: fullBox(large ? "co64" : "stco", 0, payload), fill }
}

const trak = (laid: Laid, trackId: number, movieTimescale: number, offsets: Tree) => {
  const { track } = laid
  const mediaDuration = laid.durations.reduce((a, b) => a + b, 0)
  const shown = shownTicks(laid.durations, laid.compositionOffsets, laid.editMediaTime)
  const trackDuration = Math.round((shown * movieTimescale) / track.timescale)
  const elst = Buffer.alloc(16)
  elst.writeUInt32BE(1, 0)
  elst.writeUInt32BE(trackDuration, 4)
  elst.writeInt32BE(laid.editMediaTime, 8)
  elst.writeUInt32BE(0x00010000, 12)
  const ctts = laid.compositionOffsets
  const stbl = box(
    "stbl",
    track.headers.stsd,
    fullBox("stts", 0, runLength(laid.durations)),
    ...(ctts ? [fullBox("ctts", ctts.some((v) => v < 0) ? 1 : 0, runLength(ctts))] : []),
    ...(laid.sync ? [fullBox("stss", 0, table(laid.sync))] : []),
    // One sample per chunk: the table is a few bytes per sample and any sample range stays addressable.
    fullBox("stsc", 0, table([1, 1, 1], [1])),
    fullBox("stsz", 0, table(laid.sizes, [0, laid.sizes.length])),
    offsets
  )
  const built = box(
    "trak",
    withDuration(withTrackId(track.headers.tkhd, trackId), tkhdDuration, trackDuration),
    box("edts", fullBox("elst", 0, elst)),
    box(
      "mdia",
      withDuration(track.headers.mdhd, mdhdDuration, mediaDuration),
      track.headers.hdlr,
      box("minf", track.headers.mediaHeader, track.headers.dinf, stbl)
    )
  )
  return { box: built, trackDuration }
}

/** `ftyp` and `mvhd` from `movie`, one `trak` per laid track, and the header of an `mdat` of `dataBytes`. */
export const movieHeader = (
  movie: { readonly ftyp: Buffer; readonly mvhd: Buffer },
  laid: ReadonlyArray<Laid>,
  dataBytes: number
): Buffer => {
  const movieTimescale = movie.mvhd.readUInt32BE(movie.mvhd.readUInt8(8) === 1 ? 28 : 20)
  const wide = dataBytes + 16 > 0xffffffff
  const mdatHeader = Buffer.alloc(wide ? 16 : 8)
  if (wide) {
    mdatHeader.writeUInt32BE(1, 0)
    mdatHeader.write("mdat", 4, "latin1")
    mdatHeader.writeBigUInt64BE(BigInt(dataBytes + 16), 8)
  } else {
    mdatHeader.writeUInt32BE(dataBytes + 8, 0)
    mdatHeader.write("mdat", 4, "latin1")
  }
  // 64-bit chunk offsets when the data may end past 4 GiB (the header is far below 64 MiB).
  const large = dataBytes + 64 * 1024 * 1024 > 0xffffffff
  const offsets = laid.map((l) => chunkOffsets(l.offsets, large))
  // Tracks are numbered 1… in output order (the copied ids may come from different files).
  const traks = laid.map((l, t) => trak(l, t + 1, movieTimescale, offsets[t]!.box))
  const longest = Math.max(...traks.map((t) => t.trackDuration))
  const moov = box(
    "moov",
    withDuration(withNextTrackId(movie.mvhd, laid.length), mvhdDuration, longest),
    ...traks.map((t) => t.box)
  )
  // The header's size does not depend on the offsets' values: fill them in now that it is known.
  const dataStart = movie.ftyp.length + moov.size + mdatHeader.length
  for (const { fill } of offsets) fill(dataStart)
  return Buffer.concat([movie.ftyp, ...moov.parts, mdatHeader])
}
