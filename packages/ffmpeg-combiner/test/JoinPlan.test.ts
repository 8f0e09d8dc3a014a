import { describe, expect, it } from "vitest"
import * as JoinPlan from "../src/JoinPlan.ts"

const SR = 48000
const FRAME = 1024

/** Simulates the output timeline of the chosen packets and returns the worst A/V offset (samples) and the end gap. */
const simulate = (segments: ReadonlyArray<JoinPlan.AudioSegment>, ranges: ReadonlyArray<JoinPlan.PacketRange>) => {
  let kept = 0
  let videoAt = 0
  let worst = 0
  for (const [i, segment] of segments.entries()) {
    const { first, count } = ranges[i]!
    // Where sample time `videoStart` of this segment plays, versus where its first kept frame is shown.
    const audioTime = kept * FRAME + (segment.videoStart * SR - (segment.startPts + first * FRAME))
    worst = Math.max(worst, Math.abs(audioTime - videoAt * SR))
    kept += count
    videoAt += segment.videoLength
  }
  return { worst, endGap: Math.abs(kept * FRAME - videoAt * SR) }
}

/** Provider-shaped AAC: 1024 priming samples, then packets just covering the clip (no spare packet). */
const segment = (seconds: number, dropFirstFrame: boolean, extraAudio = 0): JoinPlan.AudioSegment => ({
  packets: Math.ceil(((seconds + extraAudio) * SR) / FRAME) + 1,
  startPts: -FRAME,
  videoStart: dropFirstFrame ? 1 / 30 : 0,
  videoLength: seconds - (dropFirstFrame ? 1 / 30 : 0)
})

describe("JoinPlan.selectAudioPackets", () => {
  it("skips the priming packet and keeps a whole clip when nothing is dropped", () => {
    expect(JoinPlan.selectAudioPackets([segment(4, false)], SR)).toEqual([{ first: 1, count: 188 }])
  })

  it("keeps every seam and the end within half a packet, over many seams, without drift", () => {
    for (const lengths of [
      [4, 8, 12, 4, 8, 12, 4, 8, 12, 4, 8, 12, 4, 8, 12, 4],
      Array.from({ length: 25 }, () => 4),
      [12, 12, 12, 12, 12, 12, 12, 12, 12, 12]
    ]) {
      for (const drop of [true, false]) {
        const segments = lengths.map((seconds, i) => segment(seconds, drop && i > 0))
        const ranges = JoinPlan.selectAudioPackets(segments, SR)
        expect(ranges).toBeDefined()
        const { worst, endGap } = simulate(segments, ranges!)
        expect(worst).toBeLessThanOrEqual(FRAME / 2)
        expect(endGap / SR).toBeLessThan(1 / 30)
      }
    }
  })

  it("gives up (so the audio is re-encoded) when a segment's audio is too short for its video", () => {
    const short = { ...segment(4, true), packets: 100 }
    expect(JoinPlan.selectAudioPackets([segment(4, false), short], SR)).toBeUndefined()
  })
})
