import { describe, expect, it } from "vitest"
import * as Refusal from "../src/Refusal.ts"
import * as SoraCapabilities from "../src/SoraCapabilities.ts"

const spec = { model: "sora-2", size: "1280x720", seconds: 8 }
const caps = SoraCapabilities.table([]).get("sora-2")

describe("Refusal.explain", () => {
  it("says what to change for each refusal of the contract", () => {
    expect(Refusal.explain(400, "Your request was blocked by our moderation system.", null, spec, caps).kind).toBe(
      "moderation"
    )
    expect(
      Refusal.explain(
        400,
        "Invalid file 'input_reference': unsupported mimetype ('application/octet-stream').",
        "input_reference",
        spec,
        caps
      ).fix
    ).toMatch(/PNG, JPEG or WebP/)
    expect(Refusal.explain(400, "Inpaint image must match the requested width and height", null, spec, caps).fix).toBe(
      "Resize or crop the reference to exactly 1280x720."
    )
    expect(
      Refusal.explain(400, "Invalid value: '10'. Supported values are: '4', '8', and '12'.", "seconds", spec, caps).fix
    ).toMatch(/^Use 4, 8 or 12 s/)
    expect(Refusal.explain(401, "Incorrect API key provided", null, spec, caps).fix).toMatch(/OPENAI_API_KEY/)
    expect(Refusal.explain(404, "model not found", null, spec, caps).fix).toMatch(/shut the Sora API down/)
  })
})
