import { describe, expect, it } from "vitest"
import { api, multipart, postJson, referencePng, useEmulator } from "./helpers.ts"
import { expectSchema } from "./openapi.ts"

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}

const expectError = async (res: Response, status: number, fields: Partial<ErrorBody["error"]>) => {
  expect(res.status).toBe(status)
  expect(res.headers.get("x-request-id")).toMatch(/^req_/)
  const body = (await res.json()) as ErrorBody
  expectSchema("ErrorResponse", body)
  expect(body.error).toMatchObject(fields)
  return body.error
}

/** A multipart body built by hand so the part's Content-Type is exactly what we say. */
describe("error table (§2.11)", { timeout: 40_000 }, () => {
  const emu = useEmulator()

  it("401 without a key and with a wrong key", async () => {
    await expectError(await fetch(`${emu().baseURL}/videos`), 401, { type: "invalid_request_error", code: null })
    const e = await expectError(
      await fetch(`${emu().baseURL}/videos`, { headers: { authorization: "Bearer sk-wrong-key-123456" } }),
      401,
      { code: "invalid_api_key" }
    )
    expect(e.message).toMatch(/^Incorrect API key provided: sk-\**/)
  })

  it("400 seconds not allowed, seconds as a JSON number", async () => {
    const e = await expectError(await postJson(emu(), "/videos", { prompt: "p", seconds: "10" }), 400, {
      param: "seconds",
      code: "invalid_value",
      type: "invalid_request_error"
    })
    expect(e.message).toBe("Invalid value: '10'. Supported values are: '4', '8', and '12'.")
    const t = await expectError(await postJson(emu(), "/videos", { prompt: "p", seconds: 8 }), 400, {
      param: "seconds",
      code: "invalid_type"
    })
    expect(t.message).toBe("Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead.")
    // 16/20 are opt-in (extendedSeconds), not in the published SDK enum.
    await expectError(await postJson(emu(), "/videos", { prompt: "p", seconds: "16" }), 400, { param: "seconds" })
  })

  it("400 size not allowed for the model", async () => {
    await expectError(await postJson(emu(), "/videos", { prompt: "p", size: "1792x1024" }), 400, {
      param: "size",
      code: "invalid_value"
    })
    await expectError(await postJson(emu(), "/videos", { prompt: "p", model: "sora-2", size: "1920x1080" }), 400, {
      param: "size"
    })
    await expectError(await postJson(emu(), "/videos", { prompt: "p", size: "640x480", model: "sora-2-pro" }), 400, {
      param: "size"
    })
    await expectError(await postJson(emu(), "/videos", { prompt: "p", model: "sora-3" }), 400, {
      param: "model",
      code: "invalid_value"
    })
  })

  it("400 unknown parameter and missing prompt (JSON and multipart)", async () => {
    const e = await expectError(await postJson(emu(), "/videos", { prompt: "p", width: 1280 }), 400, {
      param: "width",
      code: "unknown_parameter"
    })
    expect(e.message).toBe("Unknown parameter: 'width'.")
    await expectError(await postJson(emu(), "/videos", { seconds: "4" }), 400, {
      param: "prompt",
      code: "missing_required_parameter"
    })
    const form = new FormData()
    form.set("seconds", "4")
    await expectError(await api(emu(), "/videos", { method: "POST", body: form }), 400, {
      param: "prompt",
      code: "missing_required_parameter"
    })
    const form2 = new FormData()
    form2.set("prompt", "p")
    form2.set("negative_prompt", "x")
    await expectError(await api(emu(), "/videos", { method: "POST", body: form2 }), 400, {
      param: "negative_prompt",
      code: "unknown_parameter"
    })
  })

  it("400 reference pixel size differs from size", async () => {
    const png = await referencePng(640, 360)
    const form = new FormData()
    form.set("prompt", "p")
    form.set("size", "1280x720")
    form.set("input_reference", new File([png], "ref.png", { type: "image/png" }))
    const e = await expectError(await api(emu(), "/videos", { method: "POST", body: form }), 400, {
      param: "input_reference"
    })
    expect(e.message).toBe("Inpaint image must match the requested width and height")
    // Same rule through a data: URL in a bracketed field.
    const form2 = new FormData()
    form2.set("prompt", "p")
    form2.set("input_reference[image_url]", `data:image/png;base64,${png.toString("base64")}`)
    await expectError(await api(emu(), "/videos", { method: "POST", body: form2 }), 400, {
      message: "Inpaint image must match the requested width and height"
    })
  })

  it("400 unsupported reference MIME taken from the part's Content-Type", async () => {
    const png = await referencePng(720, 1280)
    const { body, headers } = multipart([
      { name: "prompt", value: "p" },
      { name: "input_reference", value: png, filename: "ref.png", type: "application/octet-stream" }
    ])
    const e = await expectError(await api(emu(), "/videos", { method: "POST", body, headers }), 400, {
      param: "input_reference"
    })
    expect(e.message).toBe(
      "Invalid file 'input_reference': unsupported mimetype ('application/octet-stream'). Supported file formats are 'image/jpeg', 'image/png', 'image/webp', and 'video/mp4'."
    )
    expect(emu().stats().creates).toBe(0)
  })

  it("404 unknown id, content before completion, unknown route; 400 delete while running", async () => {
    const id = `video_${"0".repeat(48)}`
    await expectError(await api(emu(), `/videos/${id}`), 404, { type: "invalid_request_error" })
    await expectError(await api(emu(), `/videos/${id}/content`), 404, {})
    const res = await postJson(emu(), "/videos", { prompt: "slow one", seconds: "4" }, { "x-emulator-fault": "stuck" })
    const v = (await res.json()) as { id: string }
    const e = await expectError(await api(emu(), `/videos/${v.id}/content`), 404, {})
    expect(e.message).toMatch(/^Video is not ready yet/)
    await expectError(await api(emu(), `/videos/${v.id}`, { method: "DELETE" }), 400, { param: "video_id" })
    await expectError(await api(emu(), "/nope"), 404, {})
  })
})
