import { describe, expect, it } from "vitest"
import { nest } from "../src/RequestBody.ts"

describe("RequestBody.nest (multipart fields as the openai package sends them)", () => {
  it("plain fields stay strings; repeated keys become arrays", () => {
    expect(nest({ prompt: "a", seconds: "8", tag: ["x", "y"] })).toEqual({ prompt: "a", seconds: "8", tag: ["x", "y"] })
  })

  it("bracketed keys nest; `[]` lines parallel keys up by position", () => {
    expect(
      nest({
        "durations[]": ["12", "8"],
        "input_reference[image_url]": "data:image/png;base64,AA==",
        "plan[brief]": "b",
        "plan[segments][][prompt]": ["p1", "p2"],
        "plan[segments][][seconds]": ["12", "8"]
      })
    ).toEqual({
      durations: ["12", "8"],
      input_reference: { image_url: "data:image/png;base64,AA==" },
      plan: {
        brief: "b",
        segments: [
          { prompt: "p1", seconds: "12" },
          { prompt: "p2", seconds: "8" }
        ]
      }
    })
  })
})
