/**
 * What a refusal (a 4xx from the Videos API) means for the user: whether it is moderation or a
 * request to change, and exactly what to change, in the terms of the model's capabilities.
 */
import { Capabilities, type SegmentGenerator } from "@longsora/core"

type ProviderCapabilities = Capabilities.ProviderCapabilities
type SegmentSpec = SegmentGenerator.SegmentSpec

/** What kind of refusal a 4xx is, and what the user should change. */
export const explain = (
  status: number,
  message: string,
  param: unknown,
  spec: Pick<SegmentSpec, "model" | "size" | "seconds">,
  caps: ProviderCapabilities | undefined
): { kind: "rejected" | "moderation"; fix: string } => {
  if (/moderation/i.test(message)) {
    return {
      kind: "moderation",
      fix: "Rephrase the prompt (no real people, copyrighted characters or music, adult content) and use a reference without faces."
    }
  }
  if (/mimetype|file format/i.test(message))
    return { kind: "rejected", fix: "Upload the reference as PNG, JPEG or WebP." }
  if (/inpaint|width and height|dimensions/i.test(message)) {
    return { kind: "rejected", fix: `Resize or crop the reference to exactly ${spec.size}.` }
  }
  if (param === "seconds" || /seconds/i.test(message)) {
    const allowed = caps ? Capabilities.describeClipLengths(caps.clipLengths) : "a length the model accepts"
    return {
      kind: "rejected",
      fix: `Use ${allowed}; if the server takes other lengths, declare them with gatewayModel(...).`
    }
  }
  if (param === "size" || /size/i.test(message)) {
    const allowed = caps ? caps.sizes.map((s) => s.size).join(", ") : "a size the model accepts"
    return {
      kind: "rejected",
      fix: `Use one of ${allowed}; if the server takes other sizes, declare them with gatewayModel(...).`
    }
  }
  if (status === 401)
    return { kind: "rejected", fix: "Check OPENAI_API_KEY (and OPENAI_BASE_URL if you use a gateway)." }
  if (status === 403) {
    return {
      kind: "rejected",
      fix: "The key's organization or project has no access to this model; check OPENAI_ORG_ID/OPENAI_PROJECT_ID."
    }
  }
  if (status === 404) {
    return {
      kind: "rejected",
      fix: `${spec.model} is not served at this base URL (OpenAI shut the Sora API down on 2026-09-24); point OPENAI_BASE_URL at a gateway or the emulator.`
    }
  }
  return { kind: "rejected", fix: "Change the request as the message says." }
}
