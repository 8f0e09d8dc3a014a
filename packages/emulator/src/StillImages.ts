/**
 * The pictures the emulator's image models answer with: real PNGs that follow the prompt's words
 * and, for an edit, keep the source's look. From text: a gradient in the colours the prompt names
 * (`red`, `sunset`, `forest`, … or, naming none, colours seeded by the prompt), a sun and a
 * horizon placed by the prompt, and the prompt as a caption. An edit: the source itself, scaled to
 * the answer's size, tinted a little towards the new prompt's colour, with a small mark of that
 * colour and the new caption, so the look holds from one keyframe to the next while each edit is
 * visibly the one asked for.
 */
import sharp from "sharp"
import { seedOf } from "./Ids.ts"

/** Words the pictures follow, and the colour each stands for. */
const COLOUR_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bred\b|\bcrimson\b|\bfire\b/i, "#c0392b"],
  [/\borange\b|\bsunset\b|\bautumn\b/i, "#e67e22"],
  [/\byellow\b|\bgold(en)?\b|\bsun(ny|light)?\b/i, "#f1c40f"],
  [/\bgreen\b|\bforest\b|\btrees?\b|\bgrass\b|\bjungle\b/i, "#27ae60"],
  [/\bblue\b|\bocean\b|\bsea\b|\blake\b|\briver\b|\bsky\b/i, "#2e86de"],
  [/\bpurple\b|\bviolet\b|\bdusk\b/i, "#8e44ad"],
  [/\bpink\b|\brose\b|\bblossom\b/i, "#fd79a8"],
  [/\bwhite\b|\bsnow\b|\bwinter\b|\bclouds?\b/i, "#ecf0f1"],
  [/\bblack\b|\bnight\b|\bdark\b|\bspace\b/i, "#101a33"],
  [/\bbrown\b|\bdesert\b|\bsand\b|\bwood(en)?\b/i, "#a0713c"],
  [/\bgr[ae]y\b|\bfog\b|\bstone\b|\bcity\b/i, "#7f8c8d"]
]

/** The colours a prompt names, in the order it names them. */
export const coloursOf = (prompt: string): ReadonlyArray<string> =>
  COLOUR_WORDS.map(([word, colour]) => ({ at: word.exec(prompt)?.index ?? -1, colour }))
    .filter((found) => found.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((found) => found.colour)

const seededColour = (seed: number): string => {
  const hue = seed % 360
  return `hsl(${hue}, 55%, 42%)`
}

/** Main and second colour of a prompt: the ones it names, else ones seeded by its text. */
export const paletteOf = (prompt: string): readonly [string, string] => {
  const named = coloursOf(prompt)
  const seed = seedOf(prompt)
  return [named[0] ?? seededColour(seed), named[1] ?? named[0] ?? seededColour(seed >>> 9)]
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!)

/**
 * The caption band: up to two lines of the prompt on an opaque strip of two lines' height along the
 * bottom, so an edit's caption replaces its source's exactly.
 */
const caption = (prompt: string, width: number, height: number): string => {
  const size = Math.max(10, Math.round(height / 22))
  const perLine = Math.max(12, Math.floor(width / (size * 0.56)))
  const words = prompt.replace(/\s+/g, " ").trim().split(" ")
  const lines: Array<string> = [""]
  for (const word of words) {
    const line = lines[lines.length - 1]!
    if (line.length + word.length + 1 > perLine && line !== "") {
      if (lines.length === 2) break
      lines.push(word)
    } else lines[lines.length - 1] = line === "" ? word : `${line} ${word}`
  }
  const band = Math.round(size * 1.4 * 2 + size * 0.6)
  const text = lines
    .map(
      (line, i) =>
        `<text x="${Math.round(size * 0.6)}" y="${height - band + Math.round(size * 1.3 * (i + 1))}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${size}" fill="#ffffff">${escapeXml(line)}</text>`
    )
    .join("")
  return `<rect x="0" y="${height - band}" width="${width}" height="${band}" fill="#000000" fill-opacity="1"/>${text}`
}

const svg = (width: number, height: number, body: string): Buffer =>
  Buffer.from(`<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`)

/** A picture of `prompt` from nothing: gradient, sun, horizon and caption. */
const fromText = (prompt: string, width: number, height: number): Promise<Buffer> => {
  const [main, second] = paletteOf(prompt)
  const seed = seedOf(prompt)
  const sunX = Math.round(width * (0.2 + (seed % 60) / 100))
  const sunY = Math.round(height * (0.2 + ((seed >>> 8) % 25) / 100))
  const horizon = Math.round(height * (0.55 + ((seed >>> 16) % 15) / 100))
  const body =
    `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${main}"/><stop offset="1" stop-color="${second}"/></linearGradient></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#g)"/>` +
    `<circle cx="${sunX}" cy="${sunY}" r="${Math.round(height / 9)}" fill="#fff6d5" fill-opacity="0.85"/>` +
    `<rect x="0" y="${horizon}" width="${width}" height="${height - horizon}" fill="${second}" fill-opacity="0.6"/>` +
    caption(prompt, width, height)
  return sharp(svg(width, height, body))
    .flatten({ background: main })
    .png()
    .toBuffer()
}

/** `source` edited by `prompt`: its picture kept, tinted 12 % towards the prompt, marked and captioned. */
const edit = async (prompt: string, source: Buffer, width: number, height: number): Promise<Buffer> => {
  const [main] = paletteOf(prompt)
  const seed = seedOf(prompt)
  const base = await sharp(source).rotate().resize(width, height, { fit: "cover" }).removeAlpha().png().toBuffer()
  const mark = Math.max(4, Math.round(height / 20))
  const overlay =
    `<rect width="${width}" height="${height}" fill="${main}" fill-opacity="0.12"/>` +
    `<circle cx="${Math.round(width * (0.1 + (seed % 80) / 100))}" cy="${Math.round(height * (0.1 + ((seed >>> 8) % 50) / 100))}" r="${mark}" fill="${main}"/>` +
    caption(prompt, width, height)
  return sharp(base)
    .composite([{ input: svg(width, height, overlay) }])
    .png()
    .toBuffer()
}

export interface StillRequest {
  readonly prompt: string
  readonly width: number
  readonly height: number
  /** The image to edit; absent: a picture from the prompt alone. */
  readonly source?: Buffer | undefined
}

/** A PNG of `width`×`height` for the request. */
export const render = (request: StillRequest): Promise<Buffer> =>
  request.source === undefined
    ? fromText(request.prompt, request.width, request.height)
    : edit(request.prompt, request.source, request.width, request.height)
