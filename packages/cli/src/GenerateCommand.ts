/** `longsora generate PROMPT …`: its flags; `GenerateRun` runs it. */
import { Argument, Command, Flag } from "effect/cli"
import { requestFlags, spendingFlags } from "./Flags.ts"
import * as Lazy from "./Lazy.ts"
import * as SeamFlags from "./SeamFlags.ts"

export const flags = {
  prompt: Argument.String("prompt").pipe(
    Argument.withDescription("What the video shows (may be left out with --plan)"),
    Argument.optional
  ),
  ...requestFlags,
  ...SeamFlags.anchorFlag,
  ...SeamFlags.flags,
  includeReference: Flag.Boolean("include-reference").pipe(
    Flag.withDescription(
      "With a video --input-reference: the output starts with that clip, then the segments that continue it"
    ),
    Flag.withDefault(false)
  ),
  plan: Flag.String("plan").pipe(
    Flag.withDescription("Use this plan.json as it is (see `longsora plan`)"),
    Flag.optional
  ),
  saveSegments: Flag.Boolean("save-segments").pipe(
    Flag.withDescription("Keep segments/segment_NN.mp4 and segment_NN_last.jpg (--no-save-segments to drop them)"),
    Flag.withDefault(true)
  ),
  mode: Flag.Literals("mode", ["chained", "independent"]).pipe(
    Flag.withDescription("chained: each segment starts from the last frame; independent: all at once"),
    Flag.withDefault("chained")
  ),
  maxConcurrency: Flag.Int("max-concurrency").pipe(
    Flag.withDescription(
      "With --mode independent or --chain keyframes: segments rendered at once (default: the provider's limit)"
    ),
    Flag.optional
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("Show the split, the plan and the cost; generate nothing"),
    Flag.withDefault(false)
  ),
  ...spendingFlags,
  resume: Flag.Boolean("resume").pipe(
    Flag.withDescription("Resume the run in --output (fails if there is none)"),
    Flag.withDefault(false)
  ),
  restart: Flag.Boolean("restart").pipe(
    Flag.withDescription("Discard an earlier run in --output and start over (finished segments are billed again)"),
    Flag.withDefault(false)
  ),
  recreateLost: Flag.Boolean("recreate-lost").pipe(
    Flag.withDescription(
      "When a create's answer was lost and its job cannot be told apart on the server, create the segment anew (billed again)"
    ),
    Flag.withDefault(false)
  ),
  force: Flag.Boolean("force").pipe(
    Flag.withDescription("Overwrite an output.mp4 in --output that no run there made"),
    Flag.withDefault(false)
  )
} as const

export type GenerateFlags = Command.Command.Config.Infer<typeof flags>

export const command = Command.make(
  "generate",
  flags,
  Lazy.handler(() => import("./GenerateRun.ts"))
).pipe(
  Command.withDescription("Plan, generate and join a long video"),
  Command.withExamples([
    {
      command: 'longsora generate "A woman is dancing in a bunch of trees." --seconds 24 --segments 3 --offline',
      description: "The offline demo: a real 24 s output.mp4 from the embedded emulator"
    },
    {
      command:
        'longsora generate "The boat reaches the harbour" --input-reference my.mp4 --include-reference --seconds 24',
      description: "Continue your own clip from its exact last frame; the output starts with it"
    },
    {
      command: 'longsora generate "A lighthouse at dusk" --durations 12,8,4 --dry-run',
      description: "Show split, plan and cost"
    }
  ])
)
