/**
 * The spec checked against the model's capabilities before anything is billed: known model, a
 * clip length and size it makes (an extension step's length when extending), a prompt it takes, and
 * first- and last-frame images and extension only where it takes them. Core's validation checks
 * the whole request before a run starts; this is the provider's own door for code that calls a
 * generator directly. Each rule is a `Capabilities` predicate both use; only the wording differs.
 */
import { Capabilities, Errors, type SegmentGenerator } from "@longsora/core"

type ProviderCapabilities = Capabilities.ProviderCapabilities

export interface CheckContext {
  /** The models the provider knows, for the message when `spec.model` is none of them. */
  readonly known: ReadonlyArray<string>
  /** How a user declares a model the table lacks, e.g. `declare it with layer({ models: [...] })`. */
  readonly declareHint: string
}

const rejected = (spec: SegmentGenerator.SegmentSpec, reason: string, fix: string) =>
  new Errors.GenerationError({ segment: spec.segment, kind: "rejected", reason, fix })

/** The reason `spec` cannot be sent to a model with `caps`, or `undefined` when it can. */
export const check = (
  spec: SegmentGenerator.SegmentSpec,
  caps: ProviderCapabilities | undefined,
  context: CheckContext
): Errors.GenerationError | undefined => {
  if (!caps) {
    return rejected(
      spec,
      `model "${spec.model}" is not known to this provider`,
      `Use one of ${context.known.join(", ")}, or ${context.declareHint}.`
    )
  }
  if (spec.extend !== undefined && !caps.extension) {
    return rejected(spec, `${spec.model} does not extend its clips`, "Chain segments by their last frame instead.")
  }
  // An extension step has its own lengths.
  const lengths = spec.extend !== undefined && caps.extension ? caps.extension.clipLengths : caps.clipLengths
  if (!Capabilities.acceptsClipLength(lengths, spec.seconds)) {
    return rejected(
      spec,
      `${spec.model} cannot ${spec.extend ? "extend a clip by" : "make a"} ${spec.seconds} s${spec.extend ? "" : " clip"}`,
      `Use ${Capabilities.describeClipLengths(lengths)}.`
    )
  }
  if (spec.extend !== undefined && (spec.reference !== undefined || spec.lastFrame !== undefined)) {
    return rejected(spec, "an extension takes no image", "Extend without a reference image.")
  }
  if (spec.lastFrame !== undefined && !caps.lastFrameImage) {
    return rejected(spec, `${spec.model} takes no last-frame image`, "Chain segments by their first frame only.")
  }
  if (!Capabilities.sizeOption(caps, spec.size)) {
    return rejected(
      spec,
      `${spec.model} does not render ${spec.size}`,
      `Use one of ${caps.sizes.map((s) => s.size).join(", ")}.`
    )
  }
  if (!Capabilities.acceptsPrompt(caps, spec.prompt)) {
    return rejected(
      spec,
      `the prompt has ${spec.prompt.length} characters`,
      `Write 1 to ${caps.maxPromptLength} characters.`
    )
  }
  const firstFrame = Capabilities.firstFrameProblem(caps, spec.reference !== undefined)
  if (firstFrame === "unsupported") {
    return rejected(spec, `${spec.model} takes no first-frame image`, "Omit the reference.")
  }
  if (firstFrame === "required") {
    return rejected(
      spec,
      `${spec.model} only animates an image and was given none`,
      "Give a first-frame image (--input-reference), or pick a model that also makes video from text."
    )
  }
  return undefined
}
