/**
 * Veo's extension over the Gemini API dialect: `instances[0].video.uri` (a finished Veo clip's
 * `files/{id}:download` URI, as `@google/genai` sends `source.video`) starts a job whose clip is the
 * source and 7 new seconds stitched, the new part opening on the source's exact last frame; polled
 * and downloaded through the unmodified `@ai-sdk/google` video model, as any Veo operation.
 */
import { createGoogleGenerativeAI } from "@ai-sdk/google"
import { describe, expect, it } from "vitest"
import { doStart, doStatus, EXACT_DB, fetchBytes, pollUntilDone, psnrAt, tempFile, videoShape } from "./dialects.ts"
import { KEY, run, useEmulator } from "./helpers.ts"

const MODEL = "veo-3.1-generate-preview"

describe("Gemini API dialect: Veo extension", { timeout: 60_000 }, () => {
  const emu = useEmulator()
  const model = () => createGoogleGenerativeAI({ baseURL: emu().geminiBaseURL, apiKey: KEY }).video(MODEL)

  const extend = (uri: string, extra: Record<string, unknown> = {}) =>
    fetch(`${emu().geminiBaseURL}/models/${MODEL}:predictLongRunning`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ instances: [{ prompt: "the boat sails on", video: { uri }, ...extra }] })
    })

  /** A finished 4 s Veo clip made through the package: its clean `files/{id}:download` URI. */
  const finishedClip = async (prompt: string): Promise<string> => {
    const started = await doStart(model(), { prompt, duration: 4, resolution: "1280x720" })
    await pollUntilDone(model(), started.operation)
    const status = await doStatus(model(), started.operation)
    const videos = (status.providerMetadata?.google as { videos?: Array<{ uri: string }> } | undefined)?.videos
    const uri = videos?.[0]?.uri
    if (uri === undefined) throw new Error("no video URI in the finished status")
    return uri
  }

  it("+7 s stitched onto the source, the new part opening on its last frame; one more start", async () => {
    const uri = await finishedClip("a paper boat")
    const source = await tempFile(await fetchBytes(`${uri}&key=${KEY}`), "mp4")
    const lastFrame = `${source}.last.png`
    await run("ffmpeg", ["-v", "error", "-y", "-sseof", "-0.5", "-i", source, "-update", "1", lastFrame])

    const before = emu().stats().createsByDialect.gemini
    const answer = await extend(uri)
    expect(answer.status).toBe(200)
    const { name } = (await answer.json()) as { name: string }
    expect(name).toMatch(new RegExp(`^models/${MODEL}/operations/`))
    const url = await pollUntilDone(model(), { operationName: name })
    const stitched = await tempFile(await fetchBytes(url), "mp4")
    const shape = await videoShape(stitched)
    expect(shape.size).toBe("1280x720")
    expect(shape.frames).toBe(30 * 11)
    // Frame 120 is the first of the new part: the source's last frame again.
    expect(await psnrAt(stitched, 120, lastFrame)).toBeGreaterThan(EXACT_DB)
    expect(emu().stats().createsByDialect.gemini - before).toBe(1)
  })

  it("refuses what Veo refuses: an image with the video, a video it did not make, 1080p out; nothing started", async () => {
    const before = emu().stats().createsByDialect.gemini
    const uri = await finishedClip("a kite")
    const withImage = await extend(uri, { image: { bytesBase64Encoded: "AAAA", mimeType: "image/png" } })
    expect(withImage.status).toBe(400)
    const stranger = await extend(`${emu().geminiBaseURL}/files/nothing:download?alt=media`)
    expect(stranger.status).toBe(400)
    expect(((await stranger.json()) as { error: { message: string } }).error.message).toMatch(
      /not a finished Veo video/
    )
    const hd = await fetch(`${emu().geminiBaseURL}/models/${MODEL}:predictLongRunning`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ instances: [{ prompt: "x", video: { uri } }], parameters: { resolution: "1080p" } })
    })
    expect(hd.status).toBe(400)
    expect(emu().stats().createsByDialect.gemini - before).toBe(1)
  })
})
