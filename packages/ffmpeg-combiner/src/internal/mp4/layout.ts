/**
 * Writes an MP4 that plays chosen sample runs of several MP4s back to back, copying their media bytes as whole
 * byte ranges (the cost of `cp`) under one new `moov` placed first (faststart). The caller guarantees the runs'
 * samples decode under the output's sample descriptions (the first run's of each track), if need be with parameter
 * sets carried in-band as a run's `prefix`; this module only lays out tables and bytes.
 */
import { type FileHandle, open } from "node:fs/promises"
import { type Laid, movieHeader } from "./header.ts"
import type { Movie, Track } from "./tables.ts"

export interface SampleRun {
  /** A track of the piece's movie. */
  readonly track: Track
  readonly first: number
  readonly count: number
  /** Bytes written just before the run's first sample and counted as part of it (in-band parameter sets). */
  readonly prefix?: Buffer | undefined
}

export interface Piece {
  readonly movie: Movie
  /** Per output track, in the same order as the `OutputTrack`s: the samples this piece adds, if any. */
  readonly runs: ReadonlyArray<SampleRun | undefined>
}

export interface OutputTrack {
  /** The edit's media time in the output (B-frame delay, AAC priming kept for the decoder). */
  readonly editMediaTime: number
  /**
   * Every sample's duration but the last (AAC: 1024). A source's last packet may be marked shorter; in the
   * middle of the output it must not shift what follows.
   */
  readonly sampleDuration?: number | undefined
}

/** The byte span `[start, end)` of a source file holding every sample the piece keeps. */
const spanOf = (piece: Piece) => {
  let start = Number.POSITIVE_INFINITY
  let end = 0
  for (const run of piece.runs) {
    if (!run) continue
    for (let i = run.first; i < run.first + run.count; i++) {
      start = Math.min(start, run.track.offsets[i]!)
      end = Math.max(end, run.track.offsets[i]! + run.track.sizes[i]!)
    }
  }
  return end > 0 ? { start, end } : { start: 0, end: 0 }
}

/** A stretch of the output's media data: a byte range of a source file, or bytes given as they are. */
export type Part = { readonly path: string; readonly start: number; readonly end: number } | { readonly bytes: Buffer }

/** An output file as its header and the parts that follow it, in order. */
export interface Layout {
  readonly head: Buffer
  readonly parts: ReadonlyArray<Part>
}

const partLength = (part: Part) => ("bytes" in part ? part.bytes.length : part.end - part.start)

/**
 * A piece's media data: its source span, split where a run's prefix goes in front of that run's first sample.
 * `shift(offset)` is how far the prefixes before a source offset move it.
 */
const piecePartsOf = (piece: Piece) => {
  const span = spanOf(piece)
  const prefixes = piece.runs
    .flatMap((run) => (run?.prefix && run.count > 0 ? [{ at: run.track.offsets[run.first]!, bytes: run.prefix }] : []))
    .sort((a, b) => a.at - b.at)
  const parts: Array<Part> = []
  let from = span.start
  for (const { at, bytes } of prefixes) {
    if (at > from) parts.push({ path: piece.movie.path, start: from, end: at })
    parts.push({ bytes })
    from = at
  }
  if (span.end > from) parts.push({ path: piece.movie.path, start: from, end: span.end })
  const shift = (offset: number) => prefixes.reduce((sum, p) => (p.at < offset ? sum + p.bytes.length : sum), 0)
  return { span, parts, shift }
}

/** Lays out the output: `ftyp`, the new `moov`, the `mdat` header, then each piece's media data. */
export const layoutMovies = (pieces: ReadonlyArray<Piece>, outputs: ReadonlyArray<OutputTrack>): Layout => {
  const laidPieces = pieces.map(piecePartsOf)
  const dataBytes = laidPieces.reduce((sum, p) => sum + p.parts.reduce((s, part) => s + partLength(part), 0), 0)
  const laid = outputs.map((output, t): Laid => {
    const runs = pieces.map((piece) => piece.runs[t])
    const header = runs.find((run) => run !== undefined)
    if (!header) throw new Error(`output track ${t} has no samples`)
    const total = runs.reduce((sum, run) => sum + (run?.count ?? 0), 0)
    const anySync = runs.some((run) => run?.track.sync)
    const l: Laid = {
      track: header.track,
      editMediaTime: output.editMediaTime,
      sizes: new Uint32Array(total),
      offsets: new Float64Array(total),
      durations: new Uint32Array(total),
      compositionOffsets: runs.some((run) => run?.track.compositionOffsets) ? new Int32Array(total) : undefined,
      sync: anySync ? new Uint32Array(total) : undefined
    }
    let base = 0
    let at = 0
    let syncCount = 0
    let last: SampleRun | undefined
    pieces.forEach((_, p) => {
      const { span, parts, shift } = laidPieces[p]!
      const run = runs[p]
      if (run && run.count > 0) {
        const { track, first, count } = run
        const sync = track.sync && new Set(track.sync)
        for (let i = first; i < first + count; i++, at++) {
          if (l.sync && (!sync || sync.has(i))) l.sync[syncCount++] = at + 1
          const offset = track.offsets[i]!
          // Relative to the start of the output's media data; made absolute once the header's size is known.
          l.offsets[at] = base + offset - span.start + shift(offset)
          l.sizes[at] = track.sizes[i]! + (i === first ? (run.prefix?.length ?? 0) : 0)
          l.durations[at] = output.sampleDuration ?? track.durations[i]!
          if (l.compositionOffsets) l.compositionOffsets[at] = track.compositionOffsets?.[i] ?? 0
        }
        last = run
      }
      base += parts.reduce((sum, part) => sum + partLength(part), 0)
    })
    if (output.sampleDuration !== undefined && last && total > 0) {
      l.durations[total - 1] = last.track.durations[last.first + last.count - 1]!
    }
    return l.sync ? { ...l, sync: l.sync.subarray(0, syncCount) } : l
  })

  return { head: movieHeader(pieces[0]!.movie, laid, dataBytes), parts: laidPieces.flatMap((p) => p.parts) }
}

/**
 * Reads a source file through one handle and a block of it kept in memory: parts that lie close together (a
 * file interleaved frame by frame has two per frame, a few hundred bytes apart) are served from one read.
 * A read larger than the block goes straight to the file.
 */
class BlockReader {
  private readonly handle: FileHandle
  private readonly path: string
  private readonly block = Buffer.allocUnsafe(1024 * 1024)
  private blockStart = 0
  private blockEnd = 0

  constructor(handle: FileHandle, path: string) {
    this.handle = handle
    this.path = path
  }

  /** Copies up to `length` bytes from `position` into `target` at `offset`; returns how many (at least one). */
  async read(target: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (length >= this.block.length) {
      const { bytesRead } = await this.handle.read(target, offset, length, position)
      if (bytesRead === 0) throw new Error(`${this.path} ends before byte ${position + length}`)
      return bytesRead
    }
    if (position < this.blockStart || position >= this.blockEnd) {
      const { bytesRead } = await this.handle.read(this.block, 0, this.block.length, position)
      if (bytesRead === 0) throw new Error(`${this.path} ends before byte ${position + length}`)
      this.blockStart = position
      this.blockEnd = position + bytesRead
    }
    return this.block.copy(
      target,
      offset,
      position - this.blockStart,
      Math.min(this.blockEnd, position + length) - this.blockStart
    )
  }

  close(): Promise<void> {
    return this.handle.close()
  }
}

/** Sources kept open while a layout streams: an audio swap alternates between two files. */
const openReaders = 4

/**
 * Reads a layout's bytes in order into `sink`, gathered in chunks of at most `chunkSize`: many small parts (a file
 * interleaved frame by frame has two per frame) go out as one chunk, read through one `BlockReader` per source.
 */
export const streamLayout = async (
  layout: Layout,
  sink: (chunk: Buffer) => Promise<void>,
  chunkSize = 4 * 1024 * 1024
): Promise<void> => {
  await sink(layout.head)
  // One reused buffer: memory stays flat however long the video (the sink must be done with it on return). 4 MiB
  // copied 126 MB fastest here (1.1× `cp`; 1 MiB 1.25×, 256 KiB 2.2×, 16 MiB 1.6×).
  const buffer = Buffer.allocUnsafe(chunkSize)
  let filled = 0
  const flush = async () => {
    if (filled > 0) await sink(buffer.subarray(0, filled))
    filled = 0
  }
  const readers = new Map<string, BlockReader>()
  try {
    for (const part of layout.parts) {
      if ("bytes" in part) {
        for (let at = 0; at < part.bytes.length; ) {
          if (filled === buffer.length) await flush()
          const copied = part.bytes.copy(buffer, filled, at)
          filled += copied
          at += copied
        }
        continue
      }
      const { path, start, end } = part
      let reader = readers.get(path)
      readers.delete(path)
      if (!reader) {
        // A few sources at a time (a join of hundreds of segments reads them one after another).
        const oldest = readers.size >= openReaders ? readers.keys().next().value : undefined
        if (oldest !== undefined) {
          await readers.get(oldest)!.close()
          readers.delete(oldest)
        }
        reader = new BlockReader(await open(path, "r"), path)
      }
      // Most recently used last.
      readers.set(path, reader)
      for (let at = start; at < end; ) {
        if (filled === buffer.length) await flush()
        const copied = await reader.read(buffer, filled, Math.min(buffer.length - filled, end - at), at)
        filled += copied
        at += copied
      }
    }
    await flush()
  } finally {
    await Promise.all([...readers.values()].map((reader) => reader.close()))
  }
}

/** Writes `layout` to `destination` (not atomically: the caller writes to a temporary name). */
export const writeLayout = async (layout: Layout, destination: string): Promise<void> => {
  const out = await open(destination, "w")
  try {
    let position = 0
    await streamLayout(layout, async (chunk) => {
      await out.write(chunk, 0, chunk.length, position)
      position += chunk.length
    })
  } finally {
    await out.close()
  }
}
