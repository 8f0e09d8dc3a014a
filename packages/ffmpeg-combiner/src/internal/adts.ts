/**
 * Splits an ADTS stream (what `ffmpeg -c:a copy -f adts` writes) into its frames without decoding, so exact
 * packet ranges of AAC can be copied from several files into one.
 */
export class AdtsSplitter {
  private carry: Buffer = Buffer.alloc(0)
  private index = 0
  private readonly onFrame: (frame: Buffer, index: number) => void

  constructor(onFrame: (frame: Buffer, index: number) => void) {
    this.onFrame = onFrame
  }

  readonly write = (chunk: Buffer): void => {
    let data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk
    let position = 0
    while (data.length - position >= 7) {
      if (data[position] !== 0xff || (data[position + 1]! & 0xf6) !== 0xf0) {
        throw new Error(`ADTS sync lost at frame ${this.index}`)
      }
      const length = ((data[position + 3]! & 0x03) << 11) | (data[position + 4]! << 3) | (data[position + 5]! >> 5)
      if (length < 7) throw new Error(`bad ADTS frame length ${length}`)
      if (data.length - position < length) break
      this.onFrame(data.subarray(position, position + length), this.index++)
      position += length
    }
    data = data.subarray(position)
    this.carry = Buffer.from(data)
  }

  get frames(): number {
    return this.index
  }

  get pending(): number {
    return this.carry.length
  }
}
