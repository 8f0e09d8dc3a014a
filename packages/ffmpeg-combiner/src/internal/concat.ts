/** Writes ffconcat lists. Times are microseconds (the demuxer's precision); in-points round up so the seek lands on the keyframe itself, never the one before. */
export interface ConcatEntry {
  readonly file: string
  readonly inpoint?: number | undefined
  /** Packets from this decode time on are dropped (`duration` alone only places the next file). */
  readonly outpoint?: number | undefined
  readonly duration?: number | undefined
}

const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`
const micros = (seconds: number, round: (n: number) => number) => (round(seconds * 1e6 - 1e-6) / 1e6).toFixed(6)

export const concatList = (entries: ReadonlyArray<ConcatEntry>): string =>
  `${[
    "ffconcat version 1.0",
    ...entries.flatMap((entry) => [
      `file ${quote(entry.file)}`,
      ...(entry.inpoint !== undefined ? [`inpoint ${micros(entry.inpoint, Math.ceil)}`] : []),
      ...(entry.outpoint !== undefined ? [`outpoint ${micros(entry.outpoint, Math.ceil)}`] : []),
      ...(entry.duration !== undefined ? [`duration ${micros(entry.duration, Math.round)}`] : [])
    ])
  ].join("\n")}\n`
