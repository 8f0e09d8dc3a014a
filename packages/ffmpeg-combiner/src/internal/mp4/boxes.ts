/**
 * MP4/MOV box walking, and two facts read straight from a header without starting ffprobe: the video track's
 * sync samples (`stss`) and the audio's encoder priming. Returns `undefined` for anything it does not understand
 * (the caller then asks ffprobe). `tables.ts` reads whole sample tables on top of the same walk. Reads past a box
 * may throw a `RangeError`: `index.ts` turns every throw into a fall back.
 */
import { type FileHandle, open } from "node:fs/promises"

export interface Box {
  readonly type: string
  /** Offsets of the payload within the buffer or file. */
  readonly start: number
  readonly end: number
  /** The header's length in front of `start`: 8, or 16 with a 64-bit size. */
  readonly header: number
}

export const boxes = (buffer: Buffer, start: number, end: number): Array<Box> => {
  const found: Array<Box> = []
  let at = start
  while (at + 8 <= end) {
    let size = buffer.readUInt32BE(at)
    let header = 8
    if (size === 1) {
      if (at + 16 > end) break
      size = Number(buffer.readBigUInt64BE(at + 8))
      header = 16
    } else if (size === 0) size = end - at
    if (size < header || at + size > end) break
    found.push({ type: buffer.toString("latin1", at + 4, at + 8), start: at + header, end: at + size, header })
    at += size
  }
  return found
}

export const child = (buffer: Buffer, box: Box, type: string) =>
  boxes(buffer, box.start, box.end).find((b) => b.type === type)

/** A media header's (`mdhd`) timescale: ticks per second of its track's sample times. */
export const mediaTimescale = (buffer: Buffer, mdhd: Box) =>
  buffer.readUInt32BE(mdhd.start + (buffer.readUInt8(mdhd.start) === 1 ? 20 : 12))

export interface TopLevelBox {
  readonly type: string
  /** Offset of the box's header in the file. */
  readonly at: number
  /** The whole box's size; under 8 where the file stops being a box structure (the walk ends there). */
  readonly size: number
}

/**
 * A plain MP4 has a handful of top-level boxes (`ftyp`, `moov`, `mdat`, maybe `free`/`uuid`): a walk that meets more
 * is reading something else, and stops rather than issue a read per 8 bytes of a large file.
 */
export const maxTopLevelBoxes = 1024

/** Walks the top-level box headers of an open file of `size` bytes, reading 16 bytes per box. */
export async function* topLevelBoxes(file: FileHandle, size: number): AsyncGenerator<TopLevelBox> {
  const header = Buffer.alloc(16)
  for (let at = 0, count = 0; at + 8 <= size && count < maxTopLevelBoxes; count++) {
    header.fill(0)
    await file.read(header, 0, 16, at)
    let boxSize = header.readUInt32BE(0)
    if (boxSize === 1) boxSize = at + 16 <= size ? Number(header.readBigUInt64BE(8)) : 0
    else if (boxSize === 0) boxSize = size - at
    yield { type: header.toString("latin1", 4, 8), at, size: boxSize }
    if (boxSize < 8) return
    at += boxSize
  }
}

/** The largest `moov` (or `ftyp`) read into memory: a 40-minute video's is about 5 MB. */
export const maxHeaderBytes = 64 * 1024 * 1024

/** Finds the top-level `moov` box by walking the file's box headers, then reads just that box. */
const readMoov = async (path: string): Promise<Buffer | undefined> => {
  const file = await open(path, "r")
  try {
    const { size } = await file.stat()
    for await (const box of topLevelBoxes(file, size)) {
      if (box.size < 8 || box.at + box.size > size) return undefined
      if (box.type === "moov") {
        if (box.size > maxHeaderBytes) return undefined
        const moov = Buffer.alloc(box.size)
        await file.read(moov, 0, box.size, box.at)
        return moov
      }
    }
    return undefined
  } finally {
    await file.close()
  }
}

/** The first track with this handler (`vide`, `soun`) in the file's `moov`, with its `mdia` box. */
const findTrack = async (path: string, handler: string) => {
  const moov = await readMoov(path)
  if (!moov) return undefined
  const [root] = boxes(moov, 0, moov.length)
  // A fragmented file's samples are in its fragments, not in these tables: nothing here describes them.
  if (!root || child(moov, root, "mvex")) return undefined
  for (const trak of boxes(moov, root.start, root.end).filter((b) => b.type === "trak")) {
    const mdia = child(moov, trak, "mdia")
    const hdlr = mdia && child(moov, mdia, "hdlr")
    // hdlr payload: version/flags (4), pre_defined (4), handler_type (4).
    if (mdia && hdlr && moov.toString("latin1", hdlr.start + 8, hdlr.start + 12) === handler) {
      return { moov, trak, mdia }
    }
  }
  return undefined
}

/**
 * 0-based decode-order indices of the video track's sync samples; `[]`-free `undefined` when the file is not an
 * MP4/MOV with a video track. A track without `stss` has only sync samples: then every index is a keyframe.
 */
export const videoSyncSamples = async (path: string): Promise<ReadonlyArray<number> | "all" | undefined> => {
  const track = await findTrack(path, "vide")
  if (!track) return undefined
  const { moov, mdia } = track
  const minf = child(moov, mdia, "minf")
  const stbl = minf && child(moov, minf, "stbl")
  if (!stbl) return undefined
  const stss = child(moov, stbl, "stss")
  if (!stss) return "all"
  const count = moov.readUInt32BE(stss.start + 4)
  if (stss.start + 8 + count * 4 > stss.end) return undefined
  const sync = Array.from({ length: count }, (_, i) => moov.readUInt32BE(stss.start + 8 + i * 4) - 1)
  // Sample numbers count from 1 and rise: anything else is not a sync sample table.
  return sync.every((n, i) => n >= 0 && (i === 0 || n > sync[i - 1]!)) ? sync : undefined
}

/**
 * Encoder priming of the first audio track, in seconds: the edit list's media time (AAC: usually 1024 samples,
 * Apple 2112).
 * ffprobe reports stream start 0 once the edit list is applied, yet the priming packets are still there when the
 * packets are copied. `undefined` when the header is not understood or starts with an empty edit (a delay).
 */
export const audioPrimingSeconds = async (path: string): Promise<number | undefined> => {
  const track = await findTrack(path, "soun")
  if (!track) return undefined
  const { moov, trak, mdia } = track
  const mdhd = child(moov, mdia, "mdhd")
  if (!mdhd) return undefined
  const timescale = mediaTimescale(moov, mdhd)
  const edts = child(moov, trak, "edts")
  const elst = edts && child(moov, edts, "elst")
  if (!elst) return 0
  const version = moov.readUInt8(elst.start)
  if (moov.readUInt32BE(elst.start + 4) === 0) return 0
  const entry = elst.start + 8
  const mediaTime = version === 1 ? Number(moov.readBigInt64BE(entry + 8)) : moov.readInt32BE(entry + 4)
  return mediaTime < 0 || timescale === 0 ? undefined : mediaTime / timescale
}
