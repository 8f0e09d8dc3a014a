import { describe, expect, it } from "vitest"
import * as PlannerPrompt from "../src/PlannerPrompt.ts"

const input = {
  prompt: "The boat reaches the harbour.",
  durations: [8, 8],
  planModel: "gpt-5",
  videoModel: "sora-2",
  maxPromptLength: 1000,
  hasReference: true
}

describe("PlannerPrompt.instructions", () => {
  it("says segment 1 opens on the user's image, or continues the user's clip from its last frame", () => {
    const image = PlannerPrompt.instructions(input)
    expect(image).toContain("Segment 1 starts from an image the user supplied")
    const video = PlannerPrompt.instructions({ ...input, continuesVideo: true })
    expect(video).toContain(
      "segment 1 starts from that clip's exact last frame, so the story picks up where the clip ends"
    )
    expect(video).not.toContain("an image the user supplied")
  })
})
