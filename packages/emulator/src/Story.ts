/**
 * Reads what the planner asked for out of a Responses `input`: the story idea, how many segments
 * and their seconds. Convention (documented in the README): lines like `Segments: 3` and
 * `Seconds: [8, 8, 4]` (or the same keys inside a JSON block), optionally `Prompt: <idea>`;
 * phrases like "exactly 3 segments" also work.
 */
export interface StoryRequest {
  /** The user's idea, one line. */
  readonly idea: string
  readonly segments: number | undefined
  readonly seconds: ReadonlyArray<number> | undefined
}

type Json = Record<string, unknown>

const textOfContent = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof part === "object" && part !== null && typeof (part as Json).text === "string" ? (part as Json).text : ""
      )
      .join("\n")
  }
  return ""
}

/** User text and system/developer text of a Responses `input` (string or message list). */
export const messagesOf = (input: unknown, instructions: unknown): { user: string; system: string } => {
  const system: Array<string> = typeof instructions === "string" ? [instructions] : []
  const user: Array<string> = []
  if (typeof input === "string") user.push(input)
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (typeof item !== "object" || item === null) continue
      const role = (item as Json).role
      const text = textOfContent((item as Json).content)
      if (role === "system" || role === "developer") system.push(text)
      else if (role === "user" || role === undefined) user.push(text)
    }
  }
  return { user: user.join("\n"), system: system.join("\n") }
}

const SEGMENTS = [
  /"?(?:segments|segment_count|segmentCount|shots|clips)"?\s*[:=]\s*(\d{1,3})\b/i,
  /\bexactly\s+(\d{1,3})\s+(?:segments|shots|clips|scenes|parts)\b/i,
  /\b(\d{1,3})\s+(?:segments|shots|clips)\b/i
]
const SECONDS = /"?(?:seconds|durations|segment_seconds|segmentSeconds)"?\s*[:=]\s*\[([\d\s,."']+)\]/i
const IDEA = /^\s*(?:prompt|idea|story|user prompt)\s*[:=]\s*(.+)$/im
const CONVENTION_LINE = /^\s*"?(?:segments|seconds|segment_count|total[_ ]?seconds|durations)"?\s*[:=].*$/gim

export const readStory = (input: unknown, instructions: unknown): StoryRequest => {
  const { user, system } = messagesOf(input, instructions)
  const all = `${user}\n${system}`
  let segments: number | undefined
  for (const re of SEGMENTS) {
    const m = re.exec(user) ?? re.exec(all)
    if (m) {
      segments = Number(m[1])
      break
    }
  }
  const sm = SECONDS.exec(user) ?? SECONDS.exec(all)
  const seconds = sm
    ? (sm[1] ?? "")
        .split(",")
        .map((s) => Number(s.replace(/["'\s]/g, "")))
        .filter((n) => Number.isFinite(n) && n > 0)
    : undefined
  const explicit = IDEA.exec(user)?.[1]
  const cleaned = user
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/\{[\s\S]*\}/g, " ")
    .replace(CONVENTION_LINE, " ")
  const idea = (explicit ?? cleaned).replace(/\s+/g, " ").trim().slice(0, 240) || "a quiet landscape at dawn"
  return {
    idea: idea.replace(/[.\s]+$/, ""),
    segments: segments && segments > 0 ? segments : seconds && seconds.length > 0 ? seconds.length : undefined,
    seconds: seconds && seconds.length > 0 ? seconds : undefined
  }
}

const BEATS = [
  "Opening shot establishing the scene",
  "The action builds",
  "A new detail draws the eye closer",
  "The moment turns",
  "The story reaches its peak",
  "The scene settles"
]

/** Text for segment `i` of `n`: one story, each part continuing the previous one's last frame. */
export const segmentText = (story: StoryRequest, i: number, n: number): string => {
  const beat =
    i === 0
      ? BEATS[0]
      : i === n - 1 && n > 1
        ? "Closing shot, the story resolves"
        : BEATS[1 + ((i - 1) % (BEATS.length - 1))]
  const link =
    i === 0
      ? ""
      : " Continues seamlessly from the previous shot's final frame, same characters, light and camera direction."
  return `Part ${i + 1} of ${n}. ${beat}: ${story.idea}.${link}`
}

export const titleOf = (story: StoryRequest): string => {
  const words = story.idea.split(" ").slice(0, 8).join(" ")
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** Text for keyframe `i` of `n`: a still of the story, the first one its opening, each next one a change of the previous. */
export const keyframeText = (story: StoryRequest, i: number, n: number): string =>
  i === 0
    ? `Keyframe 1 of ${n}, the opening still: ${story.idea}.`
    : `Keyframe ${i + 1} of ${n}, the same scene a moment later, ${i === n - 1 ? "as the story resolves" : "as the action moves on"}: ${story.idea}.`
