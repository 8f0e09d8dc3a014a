/**
 * Splits an ADTS stream (what `ffmpeg -c:a copy -f adts` writes) into its frames without decoding, so exact
 * packet ranges of AAC can be copied from several files into one. It never throws: a stream that loses its sync
 * stops the split and says why in `failure` (the caller then re-encodes the audio).
 */
export class AdtsSplitter {
  /** Holds a frame cut by a chunk boundary; ADTS frames are at most 8191 bytes. */
  private readonly carry = Buffer.alloc(8192)
  private carried = 0
  private index = 0
  private readonly onFrame: (frame: Buffer, index: number) => void
  private failed: string | undefined = undefined

  constructor(onFrame: (frame: Buffer, index: number) => void) {
    this.onFrame = onFrame
  }

  /** Frames are passed as views of `chunk` (or of the carry buffer): use them before the next write. */
  readonly write = (chunk: Buffer): void => {
    if (this.failed !== undefined) return
    try {
      this.split(chunk)
    } catch (error) {
      this.failed = error instanceof Error ? error.message : String(error)
    }
  }

  /** Why the stream could not be split (sync lost, a bad frame length); `undefined` while it splits. */
  get failure(): string | undefined {
    return this.failed
  }

  private split(chunk: Buffer): void {
    let position = 0
    // Complete a frame carried over from the previous chunk: its header first, then the rest.
    while (this.carried > 0) {
      const need = this.carried < 7 ? 7 : frameLength(this.carry, 0)
      if (this.carried >= need) {
        this.emit(this.carry, 0, need)
        this.carried = 0
        break
      }
      const take = Math.min(need - this.carried, chunk.length - position)
      if (take === 0) return
      chunk.copy(this.carry, this.carried, position, position + take)
      this.carried += take
      position += take
    }
    while (chunk.length - position >= 7) {
      const length = frameLength(chunk, position)
      if (chunk.length - position < length) break
      this.emit(chunk, position, length)
      position += length
    }
    this.carried = chunk.length - position
    chunk.copy(this.carry, 0, position)
  }

  private emit(buffer: Buffer, position: number, length: number) {
    this.onFrame(buffer.subarray(position, position + length), this.index++)
  }

  get frames(): number {
    return this.index
  }

  get pending(): number {
    return this.carried
  }
}

const frameLength = (data: Buffer, position: number): number => {
  if (data[position] !== 0xff || (data[position + 1]! & 0xf6) !== 0xf0) throw new Error("ADTS sync lost")
  const length = ((data[position + 3]! & 0x03) << 11) | (data[position + 4]! << 3) | (data[position + 5]! >> 5)
  if (length < 7) throw new Error(`bad ADTS frame length ${length}`)
  return length
}
