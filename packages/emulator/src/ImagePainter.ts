/**
 * The pictures the Images API answers with: real images that follow the prompt's words and, for an
 * edit, keep the source's look. A generation paints a two-colour gradient (colour words in the
 * prompt pick the colours, else the prompt's hash does), a disc whose place comes from the prompt,
 * and the prompt as a caption. An edit starts from the source's own pixels (scaled to the size),
 * tints them lightly toward the prompt's colour words, moves the disc and replaces the caption: the
 * picture stays recognisably the source, as a real edit model keeps it.
 */
import sharp, { type Sharp } from "sharp"
import { seedOf } from "./Ids.ts"

export type OutputFormat = "png" | "jpeg" | "webp"

export interface Size {
  readonly width: number
  readonly height: number
}

type Rgb = readonly [number, number, number]

/** Colour words a prompt may use, as the colour the picture takes. */
const COLOURS: Readonly<Record<string, Rgb>> = {
  red: [200, 40, 40],
  crimson: [170, 20, 50],
  orange: [235, 130, 30],
  amber: [240, 170, 40],
  gold: [215, 175, 55],
  golden: [215, 175, 55],
  yellow: [235, 215, 60],
  green: [50, 160, 70],
  emerald: [30, 140, 90],
  teal: [30, 130, 130],
  cyan: [40, 190, 210],
  blue: [40, 80, 200],
  navy: [20, 30, 100],
  purple: [120, 50, 160],
  violet: [140, 80, 200],
  pink: [230, 120, 170],
  magenta: [200, 40, 160],
  brown: [120, 80, 40],
  white: [235, 235, 235],
  snow: [240, 244, 250],
  grey: [128, 128, 128],
  gray: [128, 128, 128],
  silver: [190, 190, 200],
  black: [20, 20, 20],
  night: [15, 20, 45],
  dawn: [240, 170, 140],
  sunset: [240, 110, 60],
  ocean: [20, 90, 150],
  forest: [30, 90, 40],
  rain: [90, 100, 115]
}

/** The colour words of a prompt, in order of appearance. */
export const colourWords = (prompt: string): ReadonlyArray<string> =>
  (prompt.toLowerCase().match(/[a-z]+/g) ?? []).filter((word) => word in COLOURS)

const fromSeed = (seed: number): Rgb => [40 + (seed % 180), 40 + ((seed >>> 8) % 180), 40 + ((seed >>> 16) % 180)]

/** The two colours a prompt paints with: its first two colour words, else ones from its hash. */
export const paletteOf = (prompt: string): readonly [Rgb, Rgb] => {
  const words = colourWords(prompt)
  const seed = seedOf(prompt)
  const first = words[0] ? COLOURS[words[0]]! : fromSeed(seed)
  const second = words[1]
    ? COLOURS[words[1]]!
    : words[0]
      ? first.map((c) => Math.round(c * 0.45))
      : fromSeed(seed >>> 3)
  return [first, second as unknown as Rgb]
}

const hex = ([r, g, b]: Rgb) => `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!)

/** The prompt wrapped into at most three lines that fit the width. */
const captionLines = (prompt: string, width: number, fontSize: number): ReadonlyArray<string> => {
  const perLine = Math.max(12, Math.floor(width / (fontSize * 0.6)) - 2)
  const lines: Array<string> = []
  let line = ""
  for (const word of prompt.replace(/\s+/g, " ").trim().split(" ")) {
    if (line && (line + word).length > perLine) {
      lines.push(line.trim())
      line = ""
      if (lines.length === 3) break
    }
    line += `${word} `
  }
  if (lines.length < 3 && line.trim()) lines.push(line.trim())
  return lines
}

/** The overlay every picture gets: the disc (placed by the prompt) and the caption box. */
const overlaySvg = (prompt: string, { width, height }: Size, discColour: Rgb): Buffer => {
  const seed = seedOf(prompt)
  const fontSize = Math.max(14, Math.round(height / 24))
  const lines = captionLines(prompt, width, fontSize)
  const boxHeight = Math.round(fontSize * 1.4 * Math.max(1, lines.length) + fontSize)
  const radius = Math.round(Math.min(width, height) / 8)
  const cx = radius + (seed % Math.max(1, width - 2 * radius))
  const cy = radius + ((seed >>> 12) % Math.max(1, height - boxHeight - 2 * radius))
  const text = lines
    .map(
      (l, i) =>
        `<text x="${Math.round(fontSize * 0.8)}" y="${height - boxHeight + Math.round(fontSize * (1.4 * i + 1.5))}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="white">${escapeXml(l)}</text>`
    )
    .join("")
  return Buffer.from(
    `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
      `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="${hex(discColour)}" fill-opacity="0.85"/>` +
      `<rect x="0" y="${height - boxHeight}" width="${width}" height="${boxHeight}" fill="#000000"/>` +
      `${text}</svg>`
  )
}

export const encode = (image: Sharp, format: OutputFormat): Promise<Buffer> =>
  (format === "png"
    ? image.png()
    : format === "jpeg"
      ? image.jpeg({ quality: 92 })
      : image.webp({ quality: 92 })
  ).toBuffer()

/** A new picture from the prompt's words. */
export const paint = async (prompt: string, size: Size, format: OutputFormat): Promise<Buffer> => {
  const [from, to] = paletteOf(prompt)
  const gradient = Buffer.from(
    `<svg width="${size.width}" height="${size.height}" xmlns="http://www.w3.org/2000/svg">` +
      `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hex(from)}"/>` +
      `<stop offset="1" stop-color="${hex(to)}"/></linearGradient></defs>` +
      `<rect width="100%" height="100%" fill="url(#g)"/></svg>`
  )
  const disc: Rgb = [255 - from[0], 255 - from[1], 255 - from[2]]
  const image = sharp(gradient).composite([{ input: overlaySvg(prompt, size, disc) }])
  return encode(image, format)
}

/** The source's pixels at `size` (cropped to fill, not distorted), lightly tinted toward the prompt's colours, with a new disc and caption. */
export const edit = async (
  source: string | Buffer,
  prompt: string,
  size: Size,
  format: OutputFormat
): Promise<Buffer> => {
  const words = colourWords(prompt)
  const scaled = sharp(source).rotate().resize(size.width, size.height, { fit: "cover" }).removeAlpha()
  const base =
    words.length > 0
      ? scaled.linear(
          [0.85, 0.85, 0.85],
          COLOURS[words[0]!]!.map((c) => c * 0.15)
        )
      : scaled
  const pixels = await base.png().toBuffer()
  const stats = await sharp(pixels).stats()
  const mean: Rgb = [stats.channels[0]!.mean, stats.channels[1]!.mean, stats.channels[2]!.mean].map((c) =>
    Math.round(255 - c)
  ) as unknown as Rgb
  return encode(sharp(pixels).composite([{ input: overlaySvg(prompt, size, mean) }]), format)
}

/** A picture for every image API the emulator speaks: an edit of `source` (a path or its bytes), else one from the prompt. */
export const render = (prompt: string, size: Size, format: OutputFormat, source?: string | Buffer): Promise<Buffer> =>
  source === undefined ? paint(prompt, size, format) : edit(source, prompt, size, format)

/** Width and height of an image file, or undefined when it does not decode. */
export const dimensionsOf = async (
  bytes: Buffer | string
): Promise<{ readonly size: Size; readonly format: string } | undefined> => {
  try {
    const meta = await sharp(bytes).metadata()
    return meta.width && meta.height
      ? { size: { width: meta.width, height: meta.height }, format: meta.format }
      : undefined
  } catch {
    return undefined
  }
}
