/**
 * An MP4's sample tables read in-process: for every track, each sample's file offset, size, duration,
 * composition offset and sync flag, plus the header boxes a writer copies. This is what a stream-copy
 * join needs, read in a millisecond without starting ffprobe. `undefined` for anything not understood
 * (fragmented files, several edits, several sample descriptions): callers then use ffmpeg.
 */
import { open } from "node:fs/promises"
import { type Box, boxes, child, maxHeaderBytes, mediaTimescale, topLevelBoxes } from "./boxes.ts"

export interface Track {
  /** `vide`, `soun`, … */
  readonly handler: string
  readonly timescale: number
  /** The track's `tkhd`, `mdhd`, `hdlr`, media header (`vmhd`/`smhd`), `dinf` and `stsd` boxes, whole. */
  readonly headers: {
    readonly tkhd: Buffer
    readonly mdhd: Buffer
    readonly hdlr: Buffer
    readonly mediaHeader: Buffer
    readonly dinf: Buffer
    readonly stsd: Buffer
  }
  // Typed arrays: a long video has hundreds of thousands of samples, and these stay compact and garbage-free.
  readonly offsets: Float64Array
  readonly sizes: Uint32Array
  /** Decode durations, in `timescale` ticks. */
  readonly durations: Uint32Array
  /** Composition offsets (`ctts`); `undefined` when decode and display order are the same. */
  readonly compositionOffsets: Int32Array | undefined
  /** 0-based sync samples; `undefined` when every sample is one. */
  readonly sync: Uint32Array | undefined
  /** Media time the single edit starts at (B-frame delay, AAC priming); 0 without an edit list. */
  readonly editMediaTime: number
}

export interface Movie {
  readonly path: string
  readonly ftyp: Buffer
  readonly mvhd: Buffer
  readonly tracks: ReadonlyArray<Track>
}

const whole = (buffer: Buffer, box: Box) => {
  const at = box.start - box.header
  // Copied into another file, a box must say its own size (not 0, "to the end of what holds me").
  if (box.header === 8 && buffer.readUInt32BE(at) !== box.end - at) throw new RangeError(`${box.type} has no size`)
  return buffer.subarray(at, box.end)
}

/**
 * Expands run-length `(count, value)` pairs (`stts`, `ctts`) into one value per sample: exactly `samples` of them
 * (the `stsz` count), else `undefined`. The runs' counts are summed before anything is allocated, so a header that
 * claims billions of samples costs nothing.
 */
const runs = <A extends Uint32Array | Int32Array>(
  buffer: Buffer,
  box: Box,
  samples: number,
  make: (length: number) => A
): A | undefined => {
  const count = buffer.readUInt32BE(box.start + 4)
  if (box.start + 8 + count * 8 > box.end) return undefined
  let total = 0
  for (let i = 0; i < count; i++) total += buffer.readUInt32BE(box.start + 8 + i * 8)
  if (total !== samples) return undefined
  const values = make(total)
  let at = 0
  for (let i = 0; i < count; i++) {
    const entry = box.start + 8 + i * 8
    const n = buffer.readUInt32BE(entry)
    values.fill(
      values instanceof Int32Array ? buffer.readInt32BE(entry + 4) : buffer.readUInt32BE(entry + 4),
      at,
      at + n
    )
    at += n
  }
  return values
}

const table32 = (buffer: Buffer, box: Box, skip = 0): Uint32Array | undefined => {
  const count = buffer.readUInt32BE(box.start + 4 + skip)
  const start = box.start + 8 + skip
  if (start + count * 4 > box.end) return undefined
  const values = new Uint32Array(count)
  for (let i = 0; i < count; i++) values[i] = buffer.readUInt32BE(start + i * 4)
  return values
}

const chunkTable = (buffer: Buffer, box: Box): Float64Array | undefined => {
  const width = box.type === "co64" ? 8 : 4
  const count = buffer.readUInt32BE(box.start + 4)
  if (box.start + 8 + count * width > box.end) return undefined
  const values = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const at = box.start + 8 + i * width
    values[i] = width === 8 ? Number(buffer.readBigUInt64BE(at)) : buffer.readUInt32BE(at)
  }
  return values
}

/**
 * Sample sizes from `stsz`: a table, or one size for all. Every sample is at least a byte of the file, so a count
 * the file cannot hold is refused before the table is made.
 */
const sampleSizes = (buffer: Buffer, stsz: Box, fileSize: number): Uint32Array | undefined => {
  const fixedSize = buffer.readUInt32BE(stsz.start + 4)
  if (fixedSize === 0) return table32(buffer, stsz, 4)
  const count = buffer.readUInt32BE(stsz.start + 8)
  return count * fixedSize <= fileSize ? new Uint32Array(count).fill(fixedSize) : undefined
}

/**
 * Each sample's file offset: walks the chunks, each holding the samples its `stsc` run says, back to back. The
 * runs' first chunks must rise (as the format requires), so the walk visits each chunk once.
 */
const sampleOffsets = (
  buffer: Buffer,
  stsc: Box,
  chunks: Float64Array,
  sizes: Uint32Array
): Float64Array | undefined => {
  const stscCount = buffer.readUInt32BE(stsc.start + 4)
  if (stsc.start + 8 + stscCount * 12 > stsc.end) return undefined
  const offsets = new Float64Array(sizes.length)
  let filled = 0
  for (let entry = 0; entry < stscCount; entry++) {
    const at = stsc.start + 8 + entry * 12
    const firstChunk = buffer.readUInt32BE(at) - 1
    const perChunk = buffer.readUInt32BE(at + 4)
    const lastChunk = entry + 1 < stscCount ? buffer.readUInt32BE(at + 12) - 1 : chunks.length
    if (firstChunk < 0 || lastChunk <= firstChunk || lastChunk > chunks.length) return undefined
    for (let chunk = firstChunk; chunk < lastChunk && filled < sizes.length; chunk++) {
      let offset = chunks[chunk]!
      for (let n = 0; n < perChunk && filled < sizes.length; n++) {
        offsets[filled] = offset
        offset += sizes[filled++]!
      }
    }
  }
  return filled === sizes.length ? offsets : undefined
}

/** The single edit's media time; 0 without an edit list; `undefined` for several edits or an empty one (a delay). */
const editStart = (moov: Buffer, elst: Box | undefined): number | undefined => {
  if (!elst) return 0
  const count = moov.readUInt32BE(elst.start + 4)
  if (count > 1) return undefined
  if (count === 0) return 0
  const version = moov.readUInt8(elst.start)
  const mediaTime = version === 1 ? Number(moov.readBigInt64BE(elst.start + 16)) : moov.readInt32BE(elst.start + 12)
  // An empty edit (a delay) is not something a copy reproduces.
  return mediaTime < 0 ? undefined : mediaTime
}

/** Bytes a sample entry needs before its child boxes: visual entries 8 + 78, audio entries 8 + 28. */
const entryFields: Record<string, number> = { vide: 86, soun: 36 }

/** Whether every sample lies inside the file and every sync sample number names a sample, in rising order. */
const consistent = (offsets: Float64Array, sizes: Uint32Array, sync: Uint32Array | undefined, fileSize: number) => {
  for (let i = 0; i < sizes.length; i++) if (offsets[i]! + sizes[i]! > fileSize) return false
  return !sync || sync.every((n, i) => n < sizes.length && (i === 0 || n > sync[i - 1]!))
}

const readTrack = (moov: Buffer, trak: Box, fileSize: number): Track | undefined => {
  const find = (parent: Box | undefined, type: string) => (parent ? child(moov, parent, type) : undefined)
  const tkhd = find(trak, "tkhd")
  const mdia = find(trak, "mdia")
  const mdhd = find(mdia, "mdhd")
  const hdlr = find(mdia, "hdlr")
  const minf = find(mdia, "minf")
  const mediaHeader = find(minf, "vmhd") ?? find(minf, "smhd") ?? find(minf, "nmhd")
  const dinf = find(minf, "dinf")
  const stbl = find(minf, "stbl")
  const stsd = find(stbl, "stsd")
  const stts = find(stbl, "stts")
  const stsc = find(stbl, "stsc")
  const stsz = find(stbl, "stsz")
  const chunkBox = find(stbl, "stco") ?? find(stbl, "co64")
  if (!tkhd || !mdhd || !hdlr || !mediaHeader || !dinf || !stsd || !stts || !stsc || !stsz || !chunkBox)
    return undefined
  // One sample description: a join copies it, so every sample must use it.
  if (moov.readUInt32BE(stsd.start + 4) !== 1) return undefined
  const handler = moov.toString("latin1", hdlr.start + 8, hdlr.start + 12)
  // The entry's fixed fields are read at known offsets (size, codec, audio rate): they must be there.
  const entrySize = moov.readUInt32BE(stsd.start + 8)
  if (entrySize < (entryFields[handler] ?? 8) || stsd.start + 8 + entrySize > stsd.end) return undefined
  const timescale = mediaTimescale(moov, mdhd)
  if (timescale === 0) return undefined

  const sizes = sampleSizes(moov, stsz, fileSize)
  if (!sizes) return undefined
  const durations = runs(moov, stts, sizes.length, (n) => new Uint32Array(n))
  const ctts = find(stbl, "ctts")
  const compositionOffsets = ctts ? runs(moov, ctts, sizes.length, (n) => new Int32Array(n)) : undefined
  const chunks = chunkTable(moov, chunkBox)
  const stss = find(stbl, "stss")
  const sync = stss ? table32(moov, stss)?.map((n) => n - 1) : undefined
  if (!durations || !chunks || (ctts && !compositionOffsets) || (stss && !sync)) return undefined
  const offsets = sampleOffsets(moov, stsc, chunks, sizes)
  if (!offsets || !consistent(offsets, sizes, sync, fileSize)) return undefined
  const editMediaTime = editStart(moov, find(find(trak, "edts"), "elst"))
  if (editMediaTime === undefined) return undefined
  return {
    handler,
    timescale,
    headers: {
      tkhd: whole(moov, tkhd),
      mdhd: whole(moov, mdhd),
      hdlr: whole(moov, hdlr),
      mediaHeader: whole(moov, mediaHeader),
      dinf: whole(moov, dinf),
      stsd: whole(moov, stsd)
    },
    offsets,
    sizes,
    durations,
    compositionOffsets,
    sync,
    editMediaTime
  }
}

/**
 * Reads the top-level `ftyp` and `moov` of `path`; `undefined` when it is not a plain (unfragmented) MP4. Nothing
 * larger than the file is allocated: boxes must lie inside it, and every table is checked against its box (or, for
 * sample counts, against the file) before it is made.
 */
export const readMovie = async (path: string): Promise<Movie | undefined> => {
  const file = await open(path, "r")
  try {
    const { size } = await file.stat()
    const found = new Map<string, Buffer>()
    for await (const { type, at, size: boxSize } of topLevelBoxes(file, size)) {
      if (boxSize < 8 || at + boxSize > size) return undefined
      if (type === "moof") return undefined
      if ((type === "ftyp" || type === "moov") && boxSize <= maxHeaderBytes && !found.has(type)) {
        const box = Buffer.alloc(boxSize)
        await file.read(box, 0, boxSize, at)
        found.set(type, box)
      }
    }
    const ftyp = found.get("ftyp")
    const moov = found.get("moov")
    if (!ftyp || !moov) return undefined
    const [root] = boxes(moov, 0, moov.length)
    if (!root) return undefined
    const mvhd = child(moov, root, "mvhd")
    if (!mvhd || child(moov, root, "mvex")) return undefined
    const tracks: Array<Track> = []
    for (const trak of boxes(moov, root.start, root.end).filter((b) => b.type === "trak")) {
      const track = readTrack(moov, trak, size)
      if (!track) return undefined
      tracks.push(track)
    }
    return { path, ftyp, mvhd: whole(moov, mvhd), tracks }
  } finally {
    await file.close()
  }
}

export interface VideoTiming {
  /** Decoded frame size: the sample entry's, when the track is neither rotated nor scaled. */
  readonly width: number
  readonly height: number
  /** Shown start and length of the video, in seconds (edit list applied). */
  readonly startTime: number
  readonly duration: number
  /** Frames per second from the first sample's duration. */
  readonly fps: number
  /** The longest track's length in seconds (a longer audio track extends the file). */
  readonly fileDuration: number
}

/** Visits every sample in decode order with its decode and composition times (ticks from the first decode time). */
export const eachSample = (
  durations: ArrayLike<number>,
  compositionOffsets: ArrayLike<number> | undefined,
  visit: (index: number, decodeTime: number, compositionTime: number) => void
) => {
  let dts = 0
  for (let i = 0; i < durations.length; i++) {
    visit(i, dts, dts + (compositionOffsets?.[i] ?? 0))
    dts += durations[i]!
  }
}

/**
 * Ticks the edit shows: from the edit's media time to the latest composition end. A B-frame delay shifts every
 * composition time (the edit skips just that); AAC priming is media the edit skips.
 */
export const shownTicks = (
  durations: ArrayLike<number>,
  compositionOffsets: ArrayLike<number> | undefined,
  editMediaTime: number
) => {
  let end = 0
  eachSample(durations, compositionOffsets, (i, _, composition) => {
    end = Math.max(end, composition + durations[i]!)
  })
  return Math.max(0, end - editMediaTime)
}

const trackSeconds = (track: Track) =>
  shownTicks(track.durations, track.compositionOffsets, track.editMediaTime) / track.timescale

/**
 * What the last-frame extraction needs, from the header alone: `undefined` unless the file has one video track
 * with an identity matrix (no rotation or scaling, so decoded frames have the sample entry's size).
 */
export const videoTiming = (movie: Movie): VideoTiming | undefined => {
  const video = movie.tracks.filter((t) => t.handler === "vide")
  if (video.length !== 1 || video[0]!.sizes.length === 0) return undefined
  const track = video[0]!
  const { tkhd, stsd } = track.headers
  // tkhd (after its 8-byte header): version 0 puts the matrix at 40, version 1 at 52; then width, height (16.16).
  const matrix = 8 + (tkhd.readUInt8(8) === 1 ? 52 : 40)
  const identity = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000]
  if (identity.some((value, i) => tkhd.readInt32BE(matrix + i * 4) !== value)) return undefined
  // stsd: header 8, version/flags 4, count 4; the visual entry's width and height sit 24 bytes into its payload.
  const width = stsd.readUInt16BE(16 + 8 + 24)
  const height = stsd.readUInt16BE(16 + 8 + 26)
  if (track.durations[0] === 0) return undefined
  if (width === 0 || height === 0 || tkhd.readUInt32BE(matrix + 36) >>> 16 !== width) return undefined
  // The first frame shown is the earliest composition time (decode time + offset), not the smallest offset.
  let first = Number.POSITIVE_INFINITY
  eachSample(track.durations, track.compositionOffsets, (_, __, composition) => {
    first = Math.min(first, composition)
  })
  return {
    width,
    height,
    startTime: (first - track.editMediaTime) / track.timescale,
    duration: trackSeconds(track),
    fps: track.timescale / track.durations[0]!,
    fileDuration: Math.max(...movie.tracks.map(trackSeconds))
  }
}
