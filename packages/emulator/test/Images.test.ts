/**
 * The Images API through the official `openai` package: generations and edits answer the contract's
 * `ImagesResponse` with real images (the prompt's colour words paint them; an edit is derived from
 * the source's pixels), every image is counted in `stats()` and in the data directory, and bad
 * requests get the OpenAI error envelope.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { toFile } from "openai"
import sharp from "sharp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Emulator } from "../src/index.ts"
import { referencePng } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

let emu: Emulator.RunningEmulator
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "longsora-images-"))
  emu = await Emulator.start({ dataDir })
})
afterAll(async () => {
  await emu.close()
  await rm(dataDir, { recursive: true, force: true })
})

const client = () => new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL, maxRetries: 0 })

/** The picture as a tiny grey grid, to compare looks. */
const thumbnail = (bytes: Buffer) => sharp(bytes).resize(16, 16, { fit: "fill" }).greyscale().raw().toBuffer()

const meanDifference = async (a: Buffer, b: Buffer) => {
  const [x, y] = await Promise.all([thumbnail(a), thumbnail(b)])
  return x.reduce((sum, v, i) => sum + Math.abs(v - y[i]!), 0) / x.length
}

/** Mean colour of the picture's top-left quarter (away from the caption). */
const topLeftColour = async (bytes: Buffer) => {
  const { width = 0, height = 0 } = await sharp(bytes).metadata()
  const stats = await sharp(bytes)
    .extract({ left: 0, top: 0, width: Math.round(width / 4), height: Math.round(height / 4) })
    .stats()
  return stats.channels.slice(0, 3).map((c) => c.mean)
}

const decoded = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64")

describe("the Images API through the openai package", { timeout: 30_000 }, () => {
  it("images.generate: a PNG of the asked size, painted from the prompt's colour words, counted", async () => {
    const before = emu.stats().images.generations
    const red = await client().images.generate({
      model: "gpt-image-1.5",
      prompt: "A red kite over a red field",
      size: "1536x1024",
      quality: "medium"
    })
    expectSchema("ImagesResponse", red)
    expect(red).toMatchObject({ output_format: "png", size: "1536x1024", quality: "medium", background: "opaque" })
    const png = decoded(red.data?.[0]?.b64_json)
    const meta = await sharp(png).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1536, 1024])
    const [r, g, b] = await topLeftColour(png)
    expect(r).toBeGreaterThan(g! + 60)
    expect(r).toBeGreaterThan(b! + 60)
    const blue = await client().images.generate({ prompt: "A blue lake under a blue sky", size: "1024x1024" })
    const [r2, , b2] = await topLeftColour(decoded(blue.data?.[0]?.b64_json))
    expect(b2).toBeGreaterThan(r2! + 60)
    expect(emu.stats().images.generations - before).toBe(2)
  })

  it("images.edit keeps the source's look: the edit is derived from its pixels, not painted anew", async () => {
    const source = await referencePng(1536, 1024)
    const before = emu.stats().images.edits
    const edited = await client().images.edit({
      model: "gpt-image-1.5",
      image: await toFile(source, "source.png", { type: "image/png" }),
      prompt: "The same scene, the kite a little higher",
      size: "1536x1024"
    })
    expectSchema("ImagesResponse", edited)
    const png = decoded(edited.data?.[0]?.b64_json)
    expect((await sharp(png).metadata()).width).toBe(1536)
    const fresh = await client().images.generate({ prompt: "The same scene, the kite a little higher" })
    const kept = await meanDifference(source, png)
    const unrelated = await meanDifference(source, decoded(fresh.data?.[0]?.b64_json))
    expect(kept).toBeLessThan(25)
    expect(unrelated).toBeGreaterThan(kept * 2)
    expect(emu.stats().images.edits - before).toBe(1)
  })

  it("images.edit takes `image[]` (several images; the first is edited) and `size: auto` follows its shape", async () => {
    const first = await referencePng(1024, 1536)
    const second = await referencePng(1024, 1024)
    const edited = await client().images.edit({
      image: [
        await toFile(first, "a.png", { type: "image/png" }),
        await toFile(second, "b.png", { type: "image/png" })
      ],
      prompt: "A portrait version"
    })
    expect(edited.size).toBe("1024x1536")
    expect(await meanDifference(first, decoded(edited.data?.[0]?.b64_json))).toBeLessThan(25)
  })

  it("refuses bad requests in the contract's error shape, creating nothing", async () => {
    const before = emu.stats().images
    const refused = async (call: Promise<unknown>) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      return (error as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string; code: string }
    }
    expect(await refused(client().images.generate({ prompt: "x", size: "1280x720" }))).toMatchObject({
      param: "size",
      code: "invalid_value"
    })
    expect(await refused(client().images.generate({ prompt: "x", model: "sora-2" }))).toMatchObject({
      param: "model",
      code: "invalid_value"
    })
    expect(await refused(client().images.generate({ prompt: "x", n: 11 }))).toMatchObject({ param: "n" })
    expect(await refused(client().images.generate({} as never))).toMatchObject({
      param: "prompt",
      code: "missing_required_parameter"
    })
    const form = new FormData()
    form.set("prompt", "no image")
    const response = await fetch(`${emu.baseURL}/images/edits`, {
      method: "POST",
      headers: { authorization: `Bearer ${emu.apiKey}` },
      body: form
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { param: "image", code: "missing_required_parameter" } })
    expect(emu.stats().images).toEqual(before)
  })

  it("every image is recorded in the data directory, counted across processes by readDataDir", async () => {
    const { generations, edits } = emu.stats().images
    expect((await Emulator.readDataDir(dataDir)).images).toBe(generations + edits)
  })
})
