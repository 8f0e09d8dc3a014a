/**
 * Audio pieces (interleaved 32-bit little-endian float PCM, as ffmpeg's `f32le`) played back to back, each
 * crossfaded into the one before it over `window` frames, as ffmpeg's `acrossfade=c1=qsin:c2=qsin` does, but as a
 * stream: a piece arrives in chunks of any size, and the output is handed on as soon as it is final. The last
 * `window` frames of a piece are held back until the next piece's first frames are mixed into them, so memory
 * stays at one window whatever the length. Only the window's samples are decoded as numbers; the rest passes
 * through as bytes.
 */
export class CrossfadeChain {
  private readonly frameBytes: number
  private readonly window: number
  /** The previous piece's last `window` frames, waiting for the next piece's first. */
  private held: Buffer | undefined
  /** The current piece's last bytes seen (up to `window` frames), not handed on yet. */
  private pending = Buffer.alloc(0)
  /** Frames of the current piece seen so far. */
  private position = 0
  /** Bytes of a chunk that ended mid-frame, kept for the next. */
  private carry = Buffer.alloc(0)

  constructor(channels: number, window: number) {
    this.frameBytes = 4 * channels
    this.window = window
  }

  /** Mixes the piece's frames from `this.position` in `frames` (whole frames) over the held tail, in place. */
  private fadeIn(frames: Buffer): void {
    const held = this.held
    if (!held) return
    const w = this.window
    const count = Math.min(frames.length / this.frameBytes, w - this.position)
    for (let f = 0; f < count; f++) {
      const i = this.position + f
      // Quarter sines: the earlier piece fades out over the window as the later one fades in.
      const out = Math.sin(((w - 1 - i) / w) * (Math.PI / 2))
      const into = Math.sin((i / w) * (Math.PI / 2))
      for (let at = f * this.frameBytes; at < (f + 1) * this.frameBytes; at += 4) {
        const heldAt = i * this.frameBytes + (at - f * this.frameBytes)
        frames.writeFloatLE(held.readFloatLE(heldAt) * out + frames.readFloatLE(at) * into, at)
      }
    }
  }

  /** Takes the next bytes of the current piece; returns the output that is final (possibly none). */
  push(bytes: Buffer): Buffer {
    const joined = Buffer.concat([this.carry, bytes])
    const usable = joined.length - (joined.length % this.frameBytes)
    this.carry = Buffer.from(joined.subarray(usable))
    const frames = joined.subarray(0, usable)
    if (this.position < this.window) this.fadeIn(frames)
    this.position += usable / this.frameBytes
    const all = Buffer.concat([this.pending, frames])
    // Everything but the last `window` frames is final.
    const keep = Math.min(all.length, this.window * this.frameBytes)
    this.pending = Buffer.from(all.subarray(all.length - keep))
    return all.subarray(0, all.length - keep)
  }

  /** Ends the current piece: its last `window` frames wait for the next one. Fails on a piece too short for it. */
  endPiece(): void {
    if (this.position < 2 * this.window) {
      throw new RangeError(`a piece of ${this.position} frames is shorter than two ${this.window}-frame windows`)
    }
    this.held = this.pending
    this.pending = Buffer.alloc(0)
    this.position = 0
    this.carry = Buffer.alloc(0)
  }

  /** The output's last frames, after the last piece ended. */
  finish(): Buffer {
    const tail = this.held ?? Buffer.alloc(0)
    this.held = undefined
    return tail
  }
}
