/**
 * An MP4's sample tables read in-process: for every track, each sample's file offset, size, duration,
 * composition offset and sync flag, plus the header boxes a writer copies. This is what a stream-copy
 * join needs, read in a millisecond without starting ffprobe. `undefined` for anything not understood
 * (fragmented files, several edits, several sample descriptions): callers then use ffmpeg.
 */
import { open } from "node:fs/promises"
import { type Box, boxes, child, mediaTimescale, topLevelBoxes } from "./mp4.ts"

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
  // A box's header is 8 bytes, or 16 with a 64-bit size; both sit right before its payload.
  const headerSize = buffer.readUInt32BE(box.start - 8) === box.end - box.start + 8 ? 8 : 16
  return buffer.subarray(box.start - headerSize, box.end)
}

/** Expands run-length `(count, value)` pairs (`stts`, `ctts`) into one value per sample. */
const runs = <A extends Uint32Array | Int32Array>(
  buffer: Buffer,
  box: Box,
  make: (length: number) => A
): A | undefined => {
  const count = buffer.readUInt32BE(box.start + 4)
  if (box.start + 8 + count * 8 > box.end) return undefined
  let total = 0
  for (let i = 0; i < count; i++) total += buffer.readUInt32BE(box.start + 8 + i * 8)
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

const readTrack = (moov: Buffer, trak: Box): Track | undefined => {
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
  const timescale = mediaTimescale(moov, mdhd)

  const durations = runs(moov, stts, (n) => new Uint32Array(n))
  const ctts = find(stbl, "ctts")
  const compositionOffsets = ctts ? runs(moov, ctts, (n) => new Int32Array(n)) : undefined
  const fixedSize = moov.readUInt32BE(stsz.start + 4)
  const sizes =
    fixedSize === 0 ? table32(moov, stsz, 4) : new Uint32Array(moov.readUInt32BE(stsz.start + 8)).fill(fixedSize)
  const chunks = chunkTable(moov, chunkBox)
  const stss = find(stbl, "stss")
  const sync = stss ? table32(moov, stss)?.map((n) => n - 1) : undefined
  if (!durations || !sizes || !chunks || (ctts && !compositionOffsets) || (stss && !sync)) return undefined
  if (durations.length !== sizes.length || (compositionOffsets && compositionOffsets.length !== sizes.length)) {
    return undefined
  }

  // Sample offsets: walk the chunks, each holding the samples its `stsc` run says, back to back.
  const stscCount = moov.readUInt32BE(stsc.start + 4)
  if (stsc.start + 8 + stscCount * 12 > stsc.end) return undefined
  const offsets = new Float64Array(sizes.length)
  let filled = 0
  for (let entry = 0; entry < stscCount; entry++) {
    const at = stsc.start + 8 + entry * 12
    const firstChunk = moov.readUInt32BE(at) - 1
    const perChunk = moov.readUInt32BE(at + 4)
    const lastChunk = entry + 1 < stscCount ? moov.readUInt32BE(at + 12) - 1 : chunks.length
    for (let chunk = firstChunk; chunk < lastChunk; chunk++) {
      let offset = chunks[chunk]!
      for (let n = 0; n < perChunk && filled < sizes.length; n++) {
        offsets[filled] = offset
        offset += sizes[filled++]!
      }
    }
  }
  if (filled !== sizes.length) return undefined

  let editMediaTime = 0
  const elst = find(find(trak, "edts"), "elst")
  if (elst) {
    const count = moov.readUInt32BE(elst.start + 4)
    if (count > 1) return undefined
    if (count === 1) {
      const version = moov.readUInt8(elst.start)
      editMediaTime = version === 1 ? Number(moov.readBigInt64BE(elst.start + 16)) : moov.readInt32BE(elst.start + 12)
      // An empty edit (a delay) is not something a copy reproduces.
      if (editMediaTime < 0) return undefined
    }
  }
  return {
    handler: moov.toString("latin1", hdlr.start + 8, hdlr.start + 12),
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

/** Reads the top-level `ftyp` and `moov` of `path`; `undefined` when it is not a plain (unfragmented) MP4. */
export const readMovie = async (path: string): Promise<Movie | undefined> => {
  const file = await open(path, "r")
  try {
    const { size } = await file.stat()
    const found = new Map<string, Buffer>()
    for await (const { type, at, size: boxSize } of topLevelBoxes(file, size)) {
      if (boxSize < 8 || at + boxSize > size) return undefined
      if (type === "moof") return undefined
      if ((type === "ftyp" || type === "moov") && boxSize <= 64 * 1024 * 1024) {
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
      const track = readTrack(moov, trak)
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
