/**
 * How a run's progress is shown: a live block of lines on a terminal, plain log lines when output
 * is not a terminal, or one JSON event per line (`--json`) for scripts.
 */
import * as JobId from "@longsora/ai-sdk/JobId"
import { Progress } from "@longsora/core"
import { Effect, type Scope } from "effect"
import * as ProgressView from "./ProgressView.ts"

export interface Sink {
  readonly write: (text: string) => void
  /** The terminal's width, when the sink is one. */
  readonly columns?: () => number | undefined
  /** Calls `f` when the terminal is resized; returns what stops that. */
  readonly onResize?: (f: () => void) => () => void
}

const streamSink = (stream: NodeJS.WriteStream): Sink => ({
  write: (text) => stream.write(text),
  columns: () => (stream.isTTY ? stream.columns : undefined),
  onResize: (f) => {
    stream.on("resize", f)
    return () => stream.off("resize", f)
  }
})

export const stderr: Sink = streamSink(process.stderr)
export const stdout: Sink = streamSink(process.stdout)

/** NDJSON: every core event as one line. */
export const json = (sink: Sink): Progress.Reporter =>
  Progress.callbackReporter((event) => sink.write(`${JSON.stringify(event)}\n`))

const plainLine = (event: Progress.ProgressEvent, view: ProgressView.View, now: number): string | undefined => {
  switch (event._tag) {
    case "Started":
      return `${event.durations.length} segments (${event.durations.join(" + ")} s) at ${event.size}, estimated $${event.estimatedCostUsd.toFixed(2)}`
    case "Planned":
      return `plan ready: ${event.plan.brief}`
    case "SegmentQueued":
      return `segment ${event.segment}: job ${JobId.label(event.jobId)} queued`
    case "SegmentProgress": {
      const segment = view.segments.find((s) => s.segment === event.segment)
      return segment ? ProgressView.segmentLine(segment, view.segments.length, now) : undefined
    }
    case "SegmentReused":
      return `segment ${event.segment}: taking over job ${JobId.label(event.jobId)} (${event.state}) from the earlier run`
    case "SegmentRecreated":
      return ProgressView.recreatedNotice(event)
    case "SegmentCompleted":
      return `segment ${event.segment}: downloaded ${event.path}`
    case "FrameExtracted":
      return `segment ${event.segment}: last frame ${event.path}`
    case "Joined":
      return `joined (${event.method}): ${event.path}`
    case "KeyframeRendered":
      return event.reused
        ? `keyframe ${event.index}: kept ${event.path} from the earlier run`
        : `keyframe ${event.index}: ${event.path} (${(event.ms / 1000).toFixed(1)} s)`
    case "PhaseTimed":
      return `${event.phase} took ${(event.ms / 1000).toFixed(1)} s`
  }
}

/** Log lines without cursor movement; progress is reported at each quarter, not every poll. */
export const plain = (sink: Sink, now: () => number = Date.now): Progress.Reporter => {
  let view = ProgressView.initial(now())
  const quarters = new Map<number, number>()
  return Progress.callbackReporter((event) => {
    view = ProgressView.reduce(view, event, now())
    if (event._tag === "SegmentProgress") {
      const quarter = Math.floor(event.percent / 25)
      if ((quarters.get(event.segment) ?? -1) >= quarter) return
      quarters.set(event.segment, quarter)
    }
    const line = plainLine(event, view, now())
    if (line) sink.write(`${line}\n`)
  })
}

/** Characters a line takes on screen (the block has no escape codes inside its lines). */
const visibleLength = (line: string) => [...line].length

/**
 * A live block redrawn in place (at most 10 times a second, and every second for the clocks), and at once when the
 * terminal is resized. Lines are cut to one column less than the terminal's width, so none wraps. After a resize
 * the block drawn before may have been re-wrapped by the terminal: the redraw moves up over as many rows as those
 * lines take at the new width and clears to the end of the screen before drawing. The block is finished with a
 * newline when the scope closes.
 */
export const terminal = (
  sink: Sink,
  now: () => number = Date.now
): Effect.Effect<Progress.Reporter, never, Scope.Scope> =>
  Effect.gen(function* () {
    let view = ProgressView.initial(now())
    let drawn: ReadonlyArray<string> = []
    let lastDraw = 0
    const draw = () => {
      const columns = sink.columns?.()
      const width = columns === undefined ? undefined : Math.max(20, columns - 1)
      const lines = ProgressView.lines(view, now(), width)
      const rows = drawn.reduce(
        (sum, line) => sum + (columns ? Math.max(1, Math.ceil(visibleLength(line) / columns)) : 1),
        0
      )
      const up = rows > 0 ? `\x1b[${rows}F\x1b[J` : ""
      sink.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join("\n")}\n`)
      drawn = lines
      lastDraw = now()
    }
    const timer = setInterval(() => view.segments.length > 0 && draw(), 1000)
    const stopWatchingResize = sink.onResize?.(() => view.segments.length > 0 && draw())
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        clearInterval(timer)
        stopWatchingResize?.()
        if (view.segments.length > 0) draw()
      })
    )
    return Progress.callbackReporter((event) => {
      view = ProgressView.reduce(view, event, now())
      const important = event._tag !== "SegmentProgress"
      if (important || now() - lastDraw >= 100) draw()
    })
  })
