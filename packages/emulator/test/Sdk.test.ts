import OpenAI, { toFile } from "openai"
import { zodTextFormat } from "openai/helpers/zod"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { referencePng, useEmulator, waitDone } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

describe("official openai SDK round-trip", { timeout: 40_000 }, () => {
  const emu = useEmulator()
  const client = () => new OpenAI({ apiKey: "sk-emulator", baseURL: emu().baseURL, maxRetries: 0 })

  it("create with an uploaded reference, retrieve, list (auto-paging), downloadContent, delete", async () => {
    const png = await referencePng(720, 1280)
    const video = await client().videos.create({
      prompt: "a lantern floats up",
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      input_reference: await toFile(png, "ref.png", { type: "image/png" })
    })
    expect(video.id).toMatch(/^video_[0-9a-f]{48}$/)
    await waitDone(emu(), video.id)
    const got = await client().videos.retrieve(video.id)
    expect(got.status).toBe("completed")
    expectSchema("VideoResource", got)

    // Two more jobs (text only) so that paging with limit 1 walks three pages.
    // They stay queued ("stuck") to spare CPU; listing does not care.
    // One after the other: two creates in flight at once may land in either order.
    const others = []
    for (const i of [1, 2]) {
      others.push(
        await client().videos.create(
          { prompt: `extra ${i}`, seconds: "4" },
          { headers: { "x-emulator-fault": "stuck" } }
        )
      )
    }
    const ids: Array<string> = []
    for await (const v of client().videos.list({ limit: 1, order: "asc" })) ids.push(v.id)
    expect(ids).toEqual([video.id, ...others.map((o) => o.id)])
    const page = await client().videos.list({ limit: 2 })
    expectSchema("VideoListResource", {
      object: "list",
      data: page.data,
      first_id: page.data[0]?.id ?? null,
      last_id: page.data[1]?.id ?? null,
      has_more: page.hasNextPage()
    })

    const res = await client().videos.downloadContent(video.id)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.subarray(4, 8).toString()).toBe("ftyp")

    const deleted = await client().videos.delete(video.id)
    expectSchema("DeletedVideoResource", deleted)
    expect(deleted).toMatchObject({ id: video.id, object: "video.deleted", deleted: true })
    await expect(client().videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })

  it("the SDK's octet-stream default for toFile without type is rejected like the real API", async () => {
    const png = await referencePng(720, 1280)
    const err = await client()
      .videos.create({ prompt: "p", input_reference: await toFile(png, "ref.png") })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input_reference")
  })

  it("responses.parse with zodTextFormat", async () => {
    const Plan = z.object({
      title: z.string(),
      segments: z.array(z.object({ prompt: z.string(), seconds: z.number().int(), note: z.string().nullable() }))
    })
    const r = await client().responses.parse({
      model: "gpt-5",
      reasoning: { effort: "low" },
      input: [
        { role: "system", content: "Plan segments." },
        { role: "user", content: "Prompt: a kite over dunes\nSegments: 3\nSeconds: [12, 8, 4]" }
      ],
      text: { format: zodTextFormat(Plan, "plan") }
    })
    expect(r.output_parsed?.segments.map((s) => s.seconds)).toEqual([12, 8, 4])
    expect(r.output_parsed?.title).toContain("kite")
  })
})
