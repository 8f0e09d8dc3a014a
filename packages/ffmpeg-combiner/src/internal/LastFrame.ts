/**
 * Keeps the last of a stream of raw frames without holding more than one frame: ffmpeg writes every decoded frame
 * of the seek window to stdout as RGB, and only the final one survives.
 */
export class LastFrameSink {
  readonly frame: Buffer
  readonly frameBytes: number
  private offset = 0
  private total = 0

  constructor(frameBytes: number) {
    this.frameBytes = frameBytes
    this.frame = Buffer.alloc(frameBytes)
  }

  readonly write = (chunk: Buffer): void => {
    let position = 0
    while (position < chunk.length) {
      const take = Math.min(this.frameBytes - this.offset, chunk.length - position)
      chunk.copy(this.frame, this.offset, position, position + take)
      position += take
      this.offset = (this.offset + take) % this.frameBytes
    }
    this.total += chunk.length
  }

  get frames(): number {
    return Math.floor(this.total / this.frameBytes)
  }

  /** A partial trailing frame means the size we expected was wrong. */
  get complete(): boolean {
    return this.total % this.frameBytes === 0
  }
}
