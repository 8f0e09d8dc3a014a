/**
 * MCP over Streamable HTTP at `/mcp`: the tools of `longsora mcp` (`LongSoraMcp.registrations`) on
 * this server's jobs (`McpJobs`), behind the same API keys as the Videos API. Every request to the
 * path is authenticated before the MCP server sees it (401 without a valid key), and the tools act
 * for that key: its jobs, its limits.
 */
import { LongSoraMcp } from "@longsora/mcp"
import { Effect, Layer } from "effect"
import { McpProtocol, McpServer } from "effect/ai"
import * as Auth from "./Auth.ts"
import * as McpJobs from "./McpJobs.ts"

export const path = "/mcp"

export interface Options {
  readonly dataDir: string
  readonly auth: Auth.Options
  /** Ask before jobs estimated above this many USD; undefined when nothing is billed (offline). */
  readonly confirmAbove: number | undefined
  readonly version?: string | undefined
}

export const layer = (options: Options) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const services = yield* Effect.context<McpJobs.Services>()
      const registrations = LongSoraMcp.registrations({
        // Previews (plan, estimate) use the services the server's jobs run on, and its image model.
        services: (request) =>
          Layer.effectContext(
            McpJobs.checkImageModel(request.imageModel).pipe(Effect.provideContext(services), Effect.as(services))
          ),
        confirmAbove: options.confirmAbove,
        version: options.version,
        runs: () => McpJobs.make({ dataDir: options.dataDir, confirmAbove: options.confirmAbove }, services)
      })
      return McpServer.layerHttp({
        name: "longsora",
        version: options.version ?? "0.0.0",
        instructions: LongSoraMcp.instructions,
        path,
        protocols: [McpProtocol.v2025_11_25, McpProtocol.v2025_06_18, McpProtocol.v2025_03_26],
        allowSessionTermination: true,
        registrations
      }).pipe(Layer.provide(Auth.middleware(options.auth).layer))
    })
  ).pipe(Layer.orDie)
