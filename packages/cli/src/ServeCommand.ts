/**
 * `longsora serve`: the OpenAI-compatible Videos API for long videos (see @longsora/server), on
 * the same services as `generate` (`--offline` for the embedded emulator); and `longsora serve keys
 * create|list|revoke` for the API keys its clients use.
 */
import { type Capabilities, Errors } from "@longsora/core"
import * as McpDefaults from "@longsora/mcp/Defaults"
import * as Defaults from "@longsora/server/Defaults"
import { Console, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Confirm from "./Confirm.ts"
import { imageModelFlag } from "./Flags.ts"
import * as RequestOptions from "./RequestOptions.ts"
import type * as Services from "./Services.ts"
import { version } from "./Version.ts"

const dataDir = Flag.String("data-dir").pipe(
  Flag.withDescription(`Jobs, their videos and the key store (default ${Defaults.defaultDataDir()})`),
  Flag.withDefault(Defaults.defaultDataDir())
)

const database = Flag.String("database").pipe(
  Flag.withDescription(
    "postgres://…: keep jobs in PostgreSQL and share them with the other runners on it (the data directory must be shared too)"
  ),
  Flag.optional
)

/** The server's modules, loaded when a serve command runs (not for `--help`). */
const loadServer = Effect.promise(() => import("@longsora/server/Server"))

const optionalInt = (name: string, description: string) =>
  Flag.Int(name).pipe(Flag.withDescription(description), Flag.optional)

const serve = {
  host: Flag.String("host").pipe(
    Flag.withDescription("Address to listen on (a server off loopback needs API keys)"),
    Flag.withDefault(Defaults.defaults.host)
  ),
  port: Flag.Int("port").pipe(
    Flag.withDescription("Port (0 picks a free one)"),
    Flag.withDefault(Defaults.defaults.port)
  ),
  dataDir,
  database,
  runnerHost: Flag.String("runner-host").pipe(
    Flag.withDescription("With --database: the address other runners reach this one at (default 127.0.0.1)"),
    Flag.withDefault("127.0.0.1")
  ),
  runnerPort: Flag.Int("runner-port").pipe(
    Flag.withDescription(
      `With --database: this runner's port for the others (default ${Defaults.defaults.runnerPort})`
    ),
    Flag.withDefault(Defaults.defaults.runnerPort)
  ),
  offline: Flag.Boolean("offline").pipe(
    Flag.withDescription("Run jobs on the embedded emulator: no network, no provider key, nothing billed"),
    Flag.withDefault(false)
  ),
  baseUrl: Flag.String("base-url").pipe(
    Flag.withDescription("The provider's OpenAI-compatible endpoint (default OPENAI_BASE_URL, else api.openai.com)"),
    Flag.optional
  ),
  imageModel: imageModelFlag('The image model that renders the keyframes of jobs with chain "keyframes"'),
  gatewayModel: Flag.String("gateway-model").pipe(
    Flag.withDescription(
      "Declare a model your endpoint serves beyond Sora 2: NAME:CLIP_SECONDS:SIZE[:USD_PER_SECOND], e.g. veo-3:4,6,8:1280x720:0.4"
    ),
    Flag.optional
  ),
  concurrency: optionalInt("concurrency", `Jobs run at once (default ${Defaults.defaults.concurrency})`),
  maxRunningJobs: optionalInt(
    "max-running-jobs",
    `Per key: jobs queued or running at once (default ${Defaults.defaults.maxRunningJobsPerKey})`
  ),
  secondsPerDay: optionalInt(
    "seconds-per-day",
    `Per key: video seconds per UTC day (default ${Defaults.defaults.secondsPerDayPerKey})`
  ),
  maxBodyBytes: optionalInt(
    "max-body-bytes",
    `JSON bodies and form fields (default ${Defaults.defaults.maxBodyBytes})`
  ),
  maxUploadBytes: optionalInt(
    "max-upload-bytes",
    `An uploaded input_reference (default ${Defaults.defaults.maxUploadBytes})`
  ),
  confirmAbove: Flag.Finite("confirm-above").pipe(
    Flag.withDescription(
      `MCP (at /mcp): ask the user before jobs estimated above this many USD (default ${McpDefaults.confirmAboveUsd}; never with --offline)`
    ),
    Flag.withDefault(McpDefaults.confirmAboveUsd)
  ),
  corsOrigins: Flag.String("cors-origin").pipe(
    Flag.withDescription("Allow browser calls from these origins (comma-separated); CORS is off without it"),
    Flag.optional
  )
} as const

const create = Command.make(
  "create",
  {
    name: Argument.String("name").pipe(Argument.withDescription("Who the key is for")),
    dataDir,
    database,
    maxRunningJobs: optionalInt("max-running-jobs", "This key's limit on jobs queued or running at once"),
    secondsPerDay: optionalInt("seconds-per-day", "This key's limit on video seconds per UTC day")
  },
  Effect.fnUntraced(function* ({ name, dataDir, database, maxRunningJobs, secondsPerDay }) {
    const Server = yield* loadServer
    const { key } = yield* Server.issueKey(name, {
      maxRunningJobs: Option.getOrUndefined(maxRunningJobs),
      secondsPerDay: Option.getOrUndefined(secondsPerDay)
    }).pipe(Effect.provide(Server.storeLayer(dataDir, Option.getOrUndefined(database))))
    yield* Console.log(key)
    yield* Console.error(
      `Key "${name}" created. It is shown only now: hand it to the client (Authorization: Bearer …).`
    )
  })
).pipe(Command.withDescription("Issue an API key (printed once; only its hash is stored)"))

const list = Command.make(
  "list",
  { dataDir, database },
  Effect.fnUntraced(function* ({ dataDir, database }) {
    const Server = yield* loadServer
    const keys = yield* Server.listKeys.pipe(
      Effect.provide(Server.storeLayer(dataDir, Option.getOrUndefined(database)))
    )
    for (const key of keys) {
      const limits = [
        key.maxRunningJobs === null ? "" : ` max-running-jobs=${key.maxRunningJobs}`,
        key.secondsPerDay === null ? "" : ` seconds-per-day=${key.secondsPerDay}`
      ].join("")
      yield* Console.log(
        `${key.name}\tlsk_${key.id}_…\tcreated ${new Date(key.createdAt * 1000).toISOString()}${limits}`
      )
    }
  })
).pipe(Command.withDescription("List the API keys (names and ids, never the secrets)"))

const revoke = Command.make(
  "revoke",
  { name: Argument.String("name"), dataDir, database },
  Effect.fnUntraced(function* ({ name, dataDir, database }) {
    const Server = yield* loadServer
    const removed = yield* Server.revokeKey(name).pipe(
      Effect.provide(Server.storeLayer(dataDir, Option.getOrUndefined(database)))
    )
    yield* removed ? Console.log(`Key "${name}" revoked.`) : Effect.fail(new Error(`No key named "${name}".`))
  })
).pipe(Command.withDescription("Revoke an API key"))

const keys = Command.make("keys").pipe(
  Command.withDescription("Manage the API keys clients authenticate with"),
  Command.withSubcommands([create, list, revoke])
)

/** `NAME:CLIP_SECONDS:SIZE[:USD_PER_SECOND]` → the model's capabilities. */
const gatewayModel = Effect.fnUntraced(function* (text: string) {
  const [model, clips, size, usd, ...rest] = text.split(":")
  const price = usd === undefined ? 0 : Number(usd)
  if (!model || !clips || !size || rest.length > 0 || !/^\d+x\d+$/.test(size) || !Number.isFinite(price)) {
    return yield* new Errors.InvalidRequest({
      field: "--gateway-model",
      given: text,
      allowed: "NAME:CLIP_SECONDS:SIZE[:USD_PER_SECOND]",
      fix: "e.g. --gateway-model veo-3:4,6,8:1280x720:0.4"
    })
  }
  const capabilities: Capabilities.ProviderCapabilities = {
    model,
    clipLengths: yield* RequestOptions.parseClipSeconds(clips),
    sizes: [{ size, usdPerSecond: price }],
    firstFrameImage: true,
    maxPromptLength: 32_000,
    maxConcurrentJobs: 2
  }
  return capabilities
})

export const command = Command.make(
  "serve",
  serve,
  Effect.fnUntraced(function* (flags) {
    yield* Confirm.checkThreshold(flags.confirmAbove)
    const Server = yield* loadServer
    const declared = Option.isSome(flags.gatewayModel) ? [yield* gatewayModel(flags.gatewayModel.value)] : []
    // Each job names its own model, so offline every provider the emulator speaks is connected.
    const target: Services.Target = {
      offline: flags.offline,
      baseUrl: flags.baseUrl,
      models: declared,
      imageModel: flags.imageModel,
      anyModel: true
    }
    const server = Server.layer({
      host: flags.host,
      port: flags.port,
      dataDir: flags.dataDir,
      database: Option.getOrUndefined(flags.database),
      runnerHost: flags.runnerHost,
      runnerPort: flags.runnerPort,
      concurrency: Option.getOrUndefined(flags.concurrency),
      maxRunningJobsPerKey: Option.getOrUndefined(flags.maxRunningJobs),
      secondsPerDayPerKey: Option.getOrUndefined(flags.secondsPerDay),
      maxBodyBytes: Option.getOrUndefined(flags.maxBodyBytes),
      maxUploadBytes: Option.getOrUndefined(flags.maxUploadBytes),
      corsOrigins: Option.match(flags.corsOrigins, {
        onNone: () => [],
        onSome: (origins) => origins.split(",").map((origin) => origin.trim())
      }),
      // Offline jobs are not billed, so there is nothing to confirm (as with generate --offline).
      mcp: { confirmAbove: flags.offline ? undefined : flags.confirmAbove, version },
      onListening: (baseURL) =>
        Console.log(
          `longsora serve listening on ${baseURL} (data: ${flags.dataDir}${flags.offline ? ", offline" : ""})`
        )
    })
    const { layer } = yield* Effect.promise(() => import("./Services.ts"))
    return yield* Layer.launch(server.pipe(Layer.provide(layer(target))))
  })
).pipe(
  Command.withDescription(
    "Serve the OpenAI-compatible Videos API for long videos, with jobs that survive restarts, and MCP over HTTP at /mcp"
  ),
  Command.withSubcommands([keys])
)
