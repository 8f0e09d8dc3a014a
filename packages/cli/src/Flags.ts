/** The flags that describe a request: all of them for `generate`, `planFlags` for `plan`. */
// Deep import: the defaults without the rest of core, so `--help` stays light.
import * as LongVideoRequest from "@longsora/core/LongVideoRequest"
import { DEFAULT_IMAGE_MODEL } from "@longsora/sora-provider/ImageModels"
import { Flag } from "effect/cli"

const { defaults } = LongVideoRequest

/** `--image-model`, for what `subject` says the image model does (generate's keyframes, a server's jobs'). */
export const imageModelFlag = (subject: string) =>
  Flag.String("image-model").pipe(
    Flag.withDescription(
      `${subject}: an OpenAI Images id (gpt-image-1.5, gpt-image-1, gpt-image-1-mini) or provider:model (google:gemini-2.5-flash-image, fal:flux-pro/kontext) (default ${DEFAULT_IMAGE_MODEL})`
    ),
    Flag.withDefault(DEFAULT_IMAGE_MODEL)
  )

export const requestFlags = {
  seconds: Flag.Int("seconds").pipe(
    Flag.withAlias("s"),
    Flag.withDescription("Total length in seconds, split into clips the model accepts"),
    Flag.optional
  ),
  segments: Flag.Int("segments").pipe(
    Flag.withAlias("n"),
    Flag.withDescription(`Number of segments (default ${defaults.numGenerations})`),
    Flag.optional
  ),
  model: Flag.String("model").pipe(
    Flag.withDescription(
      `Video model: a bare id (OpenAI protocol: sora-2, a gateway model) or provider:model (google:veo-3.1-generate-preview, fal:<app>, xai:grok-imagine-video) (default ${defaults.model})`
    ),
    Flag.withDefault(defaults.model)
  ),
  planModel: Flag.String("plan-model").pipe(
    Flag.withDescription(
      `Model that writes the plan: a bare Responses API id (gpt-5) or provider:model (google:gemini-2.5-flash) (default ${defaults.planModel})`
    ),
    Flag.withDefault(defaults.planModel)
  ),
  size: Flag.String("size").pipe(Flag.withDescription("WIDTHxHEIGHT (default: the model's first size)"), Flag.optional),
  inputReference: Flag.String("input-reference").pipe(
    Flag.withDescription(
      "Image that becomes the first frame of segment 1 (JPEG, PNG or WebP), or a video to continue from its exact last frame (MP4, MOV, WebM…)"
    ),
    Flag.optional
  ),
  chain: Flag.Literals("chain", ["last-frame", "extend", "keyframes"]).pipe(
    Flag.withDescription(
      "How each segment continues the previous: last-frame (default; from its last frame), extend (the provider extends its own clip; e.g. sora-2, google:veo-3.1-generate-preview), keyframes (images first, then every segment at once between two; first+last-frame models)"
    ),
    Flag.optional
  ),
  imageModel: imageModelFlag("With --chain keyframes: the image model that renders the keyframes"),
  durations: Flag.String("durations").pipe(
    Flag.withDescription("A custom split, e.g. 12,8,4 (instead of --seconds/--segments)"),
    Flag.optional
  ),
  clipSeconds: Flag.String("clip-seconds").pipe(
    Flag.withDescription("Declare the clip lengths of a model your gateway serves: 4,6,8 or a range 4-15"),
    Flag.optional
  ),
  usdPerSecond: Flag.Finite("usd-per-second").pipe(
    Flag.withDescription("With --clip-seconds: the model's price per second, for cost estimates"),
    Flag.optional
  ),
  transition: Flag.String("transition").pipe(
    Flag.withDescription(
      "How segments meet: cut (drops the repeated frame; default when chained), keep, crossfade or crossfade:SECONDS (default when independent)"
    ),
    Flag.optional
  ),
  output: Flag.String("output").pipe(
    Flag.withAlias("o"),
    Flag.withDescription(`Output directory (default ${defaults.outputDir})`),
    Flag.withDefault(defaults.outputDir)
  ),
  offline: Flag.Boolean("offline").pipe(
    Flag.withDescription("Run against the embedded emulator: no network, no key, nothing billed"),
    Flag.withDefault(false)
  ),
  baseUrl: Flag.String("base-url").pipe(
    Flag.withDescription("OpenAI-compatible endpoint (default OPENAI_BASE_URL, else api.openai.com)"),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print progress and the result as JSON lines"),
    Flag.withDefault(false)
  )
} as const

/** What `plan` uses: no output directory and no transition, since it writes only the plan. */
const { output: _output, transition: _transition, ...planOnly } = requestFlags
export const planFlags = planOnly

/** What a paid command asks before spending, and how often it may pay again for a failed job. */
export const spendingFlags = {
  yes: Flag.Boolean("yes").pipe(
    Flag.withAlias("y"),
    Flag.withDescription("Do not ask before spending"),
    Flag.withDefault(false)
  ),
  confirmAbove: Flag.Finite("confirm-above").pipe(
    Flag.withDescription("Ask for confirmation when the estimate is above this many USD (default 5)"),
    Flag.withDefault(5)
  ),
  retryFailed: Flag.Int("retry-failed").pipe(
    Flag.withDescription("Create a segment whose job failed again, up to N times in this run (each billed; default 0)"),
    Flag.withDefault(0)
  )
} as const
