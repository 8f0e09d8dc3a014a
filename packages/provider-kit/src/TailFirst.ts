/**
 * Range-first download of an MP4 clip (issue 15): the next segment starts from this clip's last frame, and that
 * frame needs only the header (`ftyp`, every top-level box header, `moov`) and the video's last keyframe interval.
 * Those bytes are fetched first with HTTP `Range` and written at their own offsets into the `.part` file (the
 * rest are holes, read as zeros), so the last frame can be extracted from the part file while the rest downloads;
 * `rest` then fetches the gaps and hashes the whole file. `moov` may sit at the start or the end. A server that
 * ignores `Range` (200) gets the plain whole download, as does a file this reader does not follow.
 */
import { createHash } from "node:crypto"
import { type FileHandle, open } from "node:fs/promises"
import { shortDownload } from "./Download.ts"

/** One ranged GET of the clip: `range` is an HTTP `Range` value (`bytes=first-last`). */
export type FetchRange = (range: string, signal: AbortSignal | undefined) => Promise<Response>

export type Started =
  /** The server sent the whole file (it ignores `Range`, or the file is not an MP4 this reader follows). */
  | { readonly _tag: "Whole"; readonly sha256: string }
  /** The part file holds the header and the last keyframe interval; `rest` fills the gaps, resolves to the SHA-256. */
  | { readonly _tag: "Tail"; readonly rest: (signal?: AbortSignal) => Promise<string> }

/** Asked for first: `ftyp` and `mdat`'s header, and a whole `moov` at the start of most clips. */
const HEAD_BYTES = 64 * 1024
/** Behind `mdat`, a `moov` this large or smaller is fetched with the rest of the file in one request. */
const TRAILER_BYTES = 4 * 1024 * 1024

interface Span {
  readonly start: number
  /** Exclusive. */
  readonly end: number
}

const contentRange = (response: Response): { start: number; total: number | undefined } | undefined => {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "")
  return match ? { start: Number(match[1]), total: match[2] === "*" ? undefined : Number(match[2]) } : undefined
}

/** Writes a body at `position` onwards; resolves to the bytes written. */
const writeBody = async (file: FileHandle, body: ReadableStream<Uint8Array>, position: number) => {
  let written = 0
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    await file.write(chunk, 0, chunk.length, position + written)
    written += chunk.length
  }
  return written
}

/** The clip as spans already on disk, fetching the ones asked for that are not. */
class RangedFile {
  private have: Array<Span> = []
  private readonly file: FileHandle
  private readonly fetchRange: FetchRange
  readonly total: number
  private readonly signal: AbortSignal | undefined
  constructor(file: FileHandle, fetchRange: FetchRange, total: number, signal: AbortSignal | undefined) {
    this.file = file
    this.fetchRange = fetchRange
    this.total = total
    this.signal = signal
  }

  mark(span: Span) {
    const all = [...this.have, span].sort((a, b) => a.start - b.start)
    const merged: Array<Span> = []
    for (const s of all) {
      const last = merged[merged.length - 1]
      if (last && s.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, s.end) }
      else merged.push(s)
    }
    this.have = merged
  }

  /** The parts of `[start, end)` not on disk yet. */
  missing(start: number, end: number): Array<Span> {
    const gaps: Array<Span> = []
    let at = start
    for (const s of this.have) {
      if (s.end <= at) continue
      if (s.start >= end) break
      if (s.start > at) gaps.push({ start: at, end: s.start })
      at = Math.max(at, s.end)
    }
    if (at < end) gaps.push({ start: at, end })
    return gaps
  }

  async ensure(start: number, end: number, signal = this.signal) {
    for (const gap of this.missing(start, Math.min(end, this.total))) {
      const response = await this.fetchRange(`bytes=${gap.start}-${gap.end - 1}`, signal)
      if (!response.body) throw new Error(`the ranged response (${response.status}) has no body`)
      // A server that stops honouring Range sends the whole file: take it as it is.
      const whole = response.status === 200
      const at = whole ? 0 : contentRange(response)?.start
      if (at !== gap.start && !whole) throw new Error(`asked for bytes from ${gap.start}, got ${at ?? "no range"}`)
      const written = await writeBody(this.file, response.body, whole ? 0 : gap.start)
      const expected = whole ? this.total : gap.end - gap.start
      if (written !== expected) throw shortDownload(written, expected)
      this.mark(whole ? { start: 0, end: this.total } : gap)
    }
  }

  async read(start: number, end: number): Promise<Buffer> {
    await this.ensure(start, end)
    const buffer = Buffer.alloc(Math.min(end, this.total) - start)
    await this.file.read(buffer, 0, buffer.length, start)
    return buffer
  }
}

interface BoxAt {
  readonly type: string
  readonly start: number
  readonly end: number
  readonly header: number
}

/** Child boxes of `buffer[start, end)`. */
const children = (buffer: Buffer, start: number, end: number): Array<BoxAt> => {
  const found: Array<BoxAt> = []
  for (let at = start; at + 8 <= end; ) {
    let size = buffer.readUInt32BE(at)
    let header = 8
    if (size === 1) {
      size = Number(buffer.readBigUInt64BE(at + 8))
      header = 16
    } else if (size === 0) size = end - at
    if (size < header || at + size > end) throw new RangeError("a box overruns its parent")
    found.push({ type: buffer.toString("latin1", at + 4, at + 8), start: at, end: at + size, header })
    at += size
  }
  return found
}

const child = (buffer: Buffer, box: BoxAt, path: ReadonlyArray<string>): BoxAt | undefined => {
  let current: BoxAt | undefined = box
  for (const type of path) {
    current = current && children(buffer, current.start + current.header, current.end).find((b) => b.type === type)
  }
  return current
}

/** The byte span of the only video track's samples from its last sync sample on; `undefined` if not followed. */
export const lastKeyframeSpan = (moov: Buffer): Span | undefined => {
  const root: BoxAt = { type: "moov", start: 0, end: moov.length, header: 8 }
  const videos = children(moov, 8, moov.length)
    .filter((b) => b.type === "trak")
    .filter((trak) => {
      const hdlr = child(moov, trak, ["mdia", "hdlr"])
      return hdlr !== undefined && moov.toString("latin1", hdlr.start + 16, hdlr.start + 20) === "vide"
    })
  if (videos.length !== 1 || child(moov, root, ["mvex"])) return undefined
  const stbl = child(moov, videos[0]!, ["mdia", "minf", "stbl"])
  const stsz = stbl && child(moov, stbl, ["stsz"])
  const stsc = stbl && child(moov, stbl, ["stsc"])
  const stco = stbl && (child(moov, stbl, ["stco"]) ?? child(moov, stbl, ["co64"]))
  if (!stbl || !stsz || !stsc || !stco) return undefined
  const body = (box: BoxAt) => box.start + box.header + 4 // after version and flags
  const fixedSize = moov.readUInt32BE(body(stsz))
  const count = moov.readUInt32BE(body(stsz) + 4)
  if (count === 0) return undefined
  const sizeOf = (i: number) => fixedSize || moov.readUInt32BE(body(stsz) + 8 + 4 * i)
  const stss = child(moov, stbl, ["stss"])
  const syncCount = stss ? moov.readUInt32BE(body(stss)) : 0
  const lastSync = stss ? (syncCount ? moov.readUInt32BE(body(stss) + 4 * syncCount) - 1 : -1) : count - 1
  if (lastSync < 0 || lastSync >= count) return undefined
  const wide = stco.type === "co64"
  const chunks = moov.readUInt32BE(body(stco))
  const chunkOffset = (c: number) =>
    wide ? Number(moov.readBigUInt64BE(body(stco) + 4 + 8 * c)) : moov.readUInt32BE(body(stco) + 4 + 4 * c)
  const runs = moov.readUInt32BE(body(stsc))
  let start = Number.POSITIVE_INFINITY
  let end = 0
  let sample = 0
  for (let r = 0; r < runs && sample < count; r++) {
    const entry = body(stsc) + 4 + 12 * r
    const firstChunk = moov.readUInt32BE(entry) - 1
    const perChunk = moov.readUInt32BE(entry + 4)
    const lastChunk = r + 1 < runs ? moov.readUInt32BE(entry + 12) - 1 : chunks
    for (let c = firstChunk; c < lastChunk && sample < count; c++) {
      let offset = chunkOffset(c)
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        const size = sizeOf(sample)
        if (sample >= lastSync) {
          start = Math.min(start, offset)
          end = Math.max(end, offset + size)
        }
        offset += size
      }
    }
  }
  return sample === count && end > start ? { start, end } : undefined
}

/** Walks every top-level box header (as a reader of the part file will) and returns `moov`, whole. */
const readHeader = async (ranged: RangedFile): Promise<Buffer | undefined> => {
  let moov: Buffer | undefined
  for (let at = 0; at < ranged.total; ) {
    const head = await ranged.read(at, at + 16)
    if (head.length < 8) return undefined
    let size = head.readUInt32BE(0)
    if (size === 1 && head.length >= 16) size = Number(head.readBigUInt64BE(8))
    else if (size === 0) size = ranged.total - at
    if (size < 8 || at + size > ranged.total) return undefined
    const type = head.toString("latin1", 4, 8)
    if (type === "moof") return undefined
    if (type === "moov" && !moov) moov = await ranged.read(at, at + size)
    // What follows `mdat` is usually only `moov`: one request for all of it.
    if (type === "mdat" && !moov && ranged.total - (at + size) <= TRAILER_BYTES) {
      await ranged.ensure(at + size, ranged.total)
    }
    at += size
  }
  return moov
}

/**
 * Starts the download into `part` (an empty or absent file). Resolves once the last frame can be read from
 * `part` (`Tail`), or once the whole file is there (`Whole`).
 */
export const start = async (fetchRange: FetchRange, part: string, signal?: AbortSignal): Promise<Started> => {
  const file = await open(part, "w+")
  let handedOver = false
  try {
    const first = await fetchRange(`bytes=0-${HEAD_BYTES - 1}`, signal)
    if (!first.body) throw new Error(`the response (${first.status}) has no body`)
    const range = first.status === 206 ? contentRange(first) : undefined
    if (range === undefined || range.start !== 0 || range.total === undefined) {
      // Range ignored: this is the whole file.
      const written = await writeBody(file, first.body, 0)
      const length = Number(first.headers.get("content-length") ?? Number.NaN)
      if (Number.isFinite(length) && written !== length) throw shortDownload(written, length)
      return { _tag: "Whole", sha256: await hashFile(file, written) }
    }
    const ranged = new RangedFile(file, fetchRange, range.total, signal)
    const got = await writeBody(file, first.body, 0)
    if (got !== Math.min(HEAD_BYTES, range.total)) throw shortDownload(got, Math.min(HEAD_BYTES, range.total))
    ranged.mark({ start: 0, end: got })
    await file.truncate(range.total)
    const moov = await readHeader(ranged)
    const span = moov && safely(() => lastKeyframeSpan(moov))
    const finish = async (restSignal?: AbortSignal) => {
      try {
        await ranged.ensure(0, ranged.total, restSignal)
        return await hashFile(file, ranged.total)
      } finally {
        await file.close()
      }
    }
    if (!span) return { _tag: "Whole", sha256: await finish(signal) }
    await ranged.ensure(span.start, span.end)
    handedOver = true
    return { _tag: "Tail", rest: finish }
  } finally {
    if (!handedOver) await file.close().catch(() => undefined)
  }
}

const safely = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** SHA-256 of the file's first `length` bytes, read back in order (the spans arrived out of order). */
const hashFile = async (file: FileHandle, length: number) => {
  const hash = createHash("sha256")
  const buffer = Buffer.alloc(1024 * 1024)
  for (let at = 0; at < length; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, length - at), at)
    if (bytesRead === 0) throw shortDownload(at, length)
    hash.update(buffer.subarray(0, bytesRead))
    at += bytesRead
  }
  return hash.digest("hex")
}
