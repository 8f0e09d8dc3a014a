import { describe, expect, it } from "vitest"
import * as JobId from "../src/JobId.ts"

describe("JobId.label", () => {
  it("names a job by the provider's own id for its operation, in each provider's shape", () => {
    const label = (job: Parameters<typeof JobId.encode>[0]) => JobId.label(JobId.encode(job))
    expect(
      label({
        model: "google:veo-3.1-generate-preview",
        operation: { operationName: "models/veo-3.1-generate-preview/operations/7df57c4c" }
      })
    ).toBe("7df57c4c")
    expect(
      label({
        model: "fal:fal-ai/veo3",
        operation: {
          responseUrl: "https://queue.fal.run/fal-ai/veo3/requests/4b1c-9e?logs=1",
          submitUrl: "https://queue.fal.run/fal-ai/veo3"
        }
      })
    ).toBe("4b1c-9e")
    expect(label({ model: "xai:grok-imagine-video", operation: { requestId: "req_81" } })).toBe("req_81")
    expect(
      label({
        model: "replicate:wan-video/wan-2.5-t2v",
        operation: { getUrl: "https://api.replicate.com/v1/predictions/q2x9" }
      })
    ).toBe("q2x9")
    expect(label({ model: "alibaba:wan2.5-t2v-preview", operation: { taskId: "task-5" } })).toBe("task-5")
    expect(label({ model: "google:veo-3.1-generate-preview", local: "local_3" })).toBe("local_3")
  })

  it("returns any other id as it is", () => {
    expect(JobId.label("video_68d7512d")).toBe("video_68d7512d")
    expect(JobId.label(JobId.encode({ model: "m", operation: { attempt: 2 } }))).toBe(
      '{"model":"m","operation":{"attempt":2}}'
    )
  })
})
