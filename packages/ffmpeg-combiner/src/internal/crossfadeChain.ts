/**
 * Audio pieces (interleaved 32-bit float PCM) played back to back, each crossfaded into the one before it over
 * `window` frames, as ffmpeg's `acrossfade=c1=qsin:c2=qsin` does, but as a stream: a piece arrives in chunks of
 * any size, and the output is handed on as soon as it is final. The last `window` frames of a piece are held back
 * until the next piece's first frames are mixed into them, so memory stays at one window whatever the length.
 */
export class CrossfadeChain {
  private readonly channels: number
  private readonly window: number
  /** The previous piece's last `window` frames, waiting for the next piece's first. */
  private held: Float32Array | undefined
  /** The current piece's last frames seen (up to `window` of them), not handed on yet. */
  private pending = new Float32Array(0)
  /** Frames of the current piece seen so far. */
  private position = 0
  /** Bytes of a chunk that ended mid-sample, kept for the next. */
  private carry = Buffer.alloc(0)

  constructor(channels: number, window: number) {
    this.channels = channels
    this.window = window
  }

  /** The fade's gains at frame `i` of the window: the earlier piece's and the later piece's (quarter sines). */
  private gains(i: number): readonly [number, number] {
    const w = this.window
    return [Math.sin(((w - 1 - i) / w) * (Math.PI / 2)), Math.sin((i / w) * (Math.PI / 2))]
  }

  /** Takes the next bytes of the current piece; returns the output that is final (possibly none). */
  push(bytes: Buffer): Float32Array {
    const joined = this.carry.length > 0 ? Buffer.concat([this.carry, bytes]) : bytes
    const usable = joined.length - (joined.length % (4 * this.channels))
    this.carry = Buffer.from(joined.subarray(usable))
    const samples = new Float32Array(usable / 4)
    for (let i = 0; i < samples.length; i++) samples[i] = joined.readFloatLE(i * 4)
    const frames = samples.length / this.channels
    // The piece's first `window` frames fade in over the previous piece's held tail.
    if (this.held) {
      for (let f = 0; f < frames && this.position + f < this.window; f++) {
        const [out, into] = this.gains(this.position + f)
        for (let c = 0; c < this.channels; c++) {
          const at = f * this.channels + c
          samples[at] = this.held[(this.position + f) * this.channels + c]! * out + samples[at]! * into
        }
      }
    }
    this.position += frames
    const all = new Float32Array(this.pending.length + samples.length)
    all.set(this.pending)
    all.set(samples, this.pending.length)
    // Everything but the last `window` frames is final.
    const keep = Math.min(all.length, this.window * this.channels)
    this.pending = all.slice(all.length - keep)
    return all.subarray(0, all.length - keep)
  }

  /** Ends the current piece: its last `window` frames wait for the next one. Fails on a piece too short for it. */
  endPiece(): void {
    if (this.position < 2 * this.window) {
      throw new RangeError(`a piece of ${this.position} frames is shorter than two ${this.window}-frame windows`)
    }
    this.held = this.pending
    this.pending = new Float32Array(0)
    this.position = 0
    this.carry = Buffer.alloc(0)
  }

  /** The output's last frames, after the last piece ended. */
  finish(): Float32Array {
    const tail = this.held ?? new Float32Array(0)
    this.held = undefined
    return tail
  }
}

/** Float samples as the little-endian bytes an `f32le` input reads. */
export const toBytes = (samples: Float32Array): Buffer => {
  const bytes = Buffer.allocUnsafe(samples.length * 4)
  for (let i = 0; i < samples.length; i++) bytes.writeFloatLE(samples[i]!, i * 4)
  return bytes
}
