/**
 * Contract tests: the unmodified `@ai-sdk/google` and `@ai-sdk/fal` image models (through the AI
 * SDK's `generateImage`) against the emulator in its own process: Gemini image models over
 * `generateContent`, fal's Kontext apps on the synchronous endpoint. The pictures are real PNGs
 * that follow the prompt's colour words, an edit keeps its source's look (measured), and every
 * image is counted in the data directory.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createFal } from "@ai-sdk/fal"
import { createGoogleGenerativeAI } from "@ai-sdk/google"
import { APICallError, generateImage } from "ai"
import sharp from "sharp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Emulator } from "../src/index.ts"
import { type ChildEmulator, KEY, startChild } from "./helpers.ts"

/** Mean absolute difference per channel (0–255) of two pictures, compared at 64x36. */
export const meanDifference = async (a: Uint8Array, b: Uint8Array): Promise<number> => {
  const small = (image: Uint8Array) => sharp(image).resize(64, 36, { fit: "fill" }).removeAlpha().raw().toBuffer()
  const [x, y] = await Promise.all([small(a), small(b)])
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!)
  return sum / x.length
}

/** Mean red, green and blue of a picture. */
const meanColour = async (image: Uint8Array) => {
  const { channels } = await sharp(image).stats()
  return { r: channels[0]!.mean, g: channels[1]!.mean, b: channels[2]!.mean }
}

const isPng = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from("89504e470d0a1a0a", "hex"))

describe("image dialects through the AI SDK, emulator in its own process", { timeout: 40_000 }, () => {
  let child: ChildEmulator
  let dataDir: string
  let origin: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "longsora-images-"))
    child = await startChild(["--data-dir", dataDir])
    origin = new URL(child.baseURL).origin
  })
  afterAll(async () => {
    await child?.stop("SIGTERM")
    await rm(dataDir, { recursive: true, force: true })
  })
  const google = () => createGoogleGenerativeAI({ baseURL: `${origin}/v1beta`, apiKey: KEY })
  const fal = () => createFal({ baseURL: `${origin}/fal/run`, apiKey: KEY })

  it("Gemini: a 16:9 PNG from text whose colours follow the prompt's words; an edit keeps the source's look", async () => {
    const before = (await Emulator.readDataDir(dataDir)).images
    const model = google().image("gemini-2.5-flash-image")
    const red = await generateImage({ model, prompt: "A red barn in a red field", aspectRatio: "16:9", maxRetries: 0 })
    expect(isPng(red.image.uint8Array)).toBe(true)
    expect(await sharp(red.image.uint8Array).metadata()).toMatchObject({ width: 1344, height: 768 })
    const colour = await meanColour(red.image.uint8Array)
    expect(colour.r).toBeGreaterThan(colour.b + 40)

    const blue = await generateImage({ model, prompt: "A blue lake under a blue sky", aspectRatio: "16:9" })
    const blueColour = await meanColour(blue.image.uint8Array)
    expect(blueColour.b).toBeGreaterThan(blueColour.r + 40)

    const edited = await generateImage({
      model,
      prompt: { images: [red.image.uint8Array], text: "The barn at dusk, a tractor arrives" },
      aspectRatio: "16:9"
    })
    const kept = await meanDifference(edited.image.uint8Array, red.image.uint8Array)
    const other = await meanDifference(blue.image.uint8Array, red.image.uint8Array)
    expect(kept).toBeLessThan(25)
    expect(other).toBeGreaterThan(3 * kept)
    expect((await Emulator.readDataDir(dataDir)).images - before).toBe(3)
  })

  it("Gemini: an unknown model is Google's 404; an aspect ratio the model lacks is its 400", async () => {
    const unknown = generateImage({ model: google().image("gemini-0-image"), prompt: "x", maxRetries: 0 })
    await expect(unknown).rejects.toSatisfy((e) => APICallError.isInstance(e) && e.statusCode === 404)
    // @ai-sdk/google checks the ratio itself, so this one is sent as raw JSON.
    const answer = await fetch(`${origin}/v1beta/models/gemini-2.5-flash-image:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({
        contents: [{ role: "user", parts: [{ text: "x" }] }],
        generationConfig: { responseModalities: ["IMAGE"], imageConfig: { aspectRatio: "7:1" } }
      })
    })
    expect(answer.status).toBe(400)
    expect(((await answer.json()) as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT")
  })

  it("fal Kontext: text-to-image, then an edit of it (image_url as a data URL), PNGs fetched from the emulator", async () => {
    const before = (await Emulator.readDataDir(dataDir)).images
    const first = await generateImage({
      model: fal().image("fal-ai/flux-pro/kontext/text-to-image"),
      prompt: "A green forest clearing",
      providerOptions: { fal: { outputFormat: "png", aspect_ratio: "16:9" } },
      maxRetries: 0
    })
    expect(isPng(first.image.uint8Array)).toBe(true)
    const meta = await sharp(first.image.uint8Array).metadata()
    expect(Math.abs(meta.width! / meta.height! - 16 / 9)).toBeLessThan(0.02)
    const colour = await meanColour(first.image.uint8Array)
    expect(colour.g).toBeGreaterThan(colour.r + 20)

    const edited = await generateImage({
      model: fal().image("fal-ai/flux-pro/kontext"),
      prompt: { images: [first.image.uint8Array], text: "Snow falls on the clearing" },
      providerOptions: { fal: { outputFormat: "png", aspect_ratio: "16:9" } },
      maxRetries: 0
    })
    expect(await meanDifference(edited.image.uint8Array, first.image.uint8Array)).toBeLessThan(25)
    expect((await Emulator.readDataDir(dataDir)).images - before).toBe(2)
  })

  it("fal Kontext edit without image_url is FastAPI's 422 naming the field; nothing is made", async () => {
    const before = (await Emulator.readDataDir(dataDir)).images
    const refused = generateImage({ model: fal().image("fal-ai/flux-pro/kontext"), prompt: "x", maxRetries: 0 })
    await expect(refused).rejects.toSatisfy(
      (e) => APICallError.isInstance(e) && e.statusCode === 422 && /image_url/.test(e.message)
    )
    expect((await Emulator.readDataDir(dataDir)).images).toBe(before)
  })
})
