/**
 * The one place that decides how segments are joined. Before anything is probed, `inProcessCopy` tries the cheapest
 * join: the segments' MP4 headers read in-process and their samples copied under one new header (`copy`, or
 * `copy-cut` when a `Cut` seam's duplicate frame is dropped from the end of the segment before it). Otherwise
 * `chooseMethod` picks from the probe: a stream copy through ffmpeg when segments share codec parameters
 * (`copy`, or `smart-cut` when the seam duplicate is dropped), a full `reencode` when they differ, and
 * `crossfade` on request; `strategyFor` is the module that does it.
 */
import type { Transition } from "@longsora/core"
import * as JoinPlan from "../../JoinPlan.ts"
import type * as Probe from "../../Probe.ts"
import { type Blocker, type Join, type Movie, planCopy } from "../mp4/index.ts"
import * as Crossfade from "./Crossfade.ts"
import type { Method, Strategy } from "./JoinContext.ts"
import * as Reencode from "./Reencode.ts"
import * as SmartCutJoin from "./SmartCutJoin.ts"
import * as StreamCopy from "./StreamCopy.ts"

export interface Options {
  /** Re-encode every join even when a copy or smart cut would do (uniform output; slower). */
  readonly alwaysReencode?: boolean | undefined
}

/** Whether the in-process copy is worth reading headers for: not for a crossfade or a forced re-encode. */
export const triesInProcessCopy = (transition: Transition.Transition, options: Options) =>
  transition._tag !== "Crossfade" && !options.alwaysReencode

/** The in-process copy join of already-read headers, with the method it amounts to; or why there is none. */
export const inProcessCopy = (
  movies: ReadonlyArray<Movie> | Blocker,
  transition: Transition.Transition
): { readonly join: Join; readonly method: Method } | Blocker => {
  if (typeof movies === "string") return movies
  const drop = transition._tag === "Cut"
  const join = planCopy(movies, drop)
  if (typeof join === "string") return join
  return { join, method: drop && movies.length > 1 ? "copy-cut" : "copy" }
}

/** Chooses how to join probed segments, and says why when a cheaper method was not possible. */
export const chooseMethod = (
  segments: ReadonlyArray<Probe.MediaInfo>,
  transition: Transition.Transition,
  options: Options = {}
): { readonly method: Method; readonly reason?: string } => {
  if (transition._tag === "Crossfade") return { method: "crossfade" }
  if (options.alwaysReencode) return { method: "reencode", reason: "alwaysReencode" }
  const copyBlocker = JoinPlan.videoCopyBlocker(segments)
  if (copyBlocker) return { method: "reencode", reason: copyBlocker }
  if (transition._tag === "KeepDuplicate" || segments.length === 1) return { method: "copy" }
  const smartBlocker = JoinPlan.smartCutBlocker(segments)
  return smartBlocker ? { method: "reencode", reason: smartBlocker } : { method: "smart-cut" }
}

const strategies: Record<Exclude<Method, "copy-cut">, Strategy> = {
  copy: StreamCopy.join,
  "smart-cut": SmartCutJoin.join,
  reencode: Reencode.join,
  crossfade: Crossfade.join
}

/** The module that joins by `method` (`copy-cut` only ever happens in-process, before a method is chosen). */
export const strategyFor = (method: Exclude<Method, "copy-cut">): Strategy => strategies[method]
