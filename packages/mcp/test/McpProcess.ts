/**
 * `longsora mcp` as an MCP client launches it: the built CLI as a child process over stdio, driven by
 * the reference client (`@modelcontextprotocol/sdk`). Effect's `McpClient` cannot serve here: it
 * drops server notifications (no progress) and refuses server requests (no elicitation).
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { type CallToolResult, ElicitRequestSchema, type Progress } from "@modelcontextprotocol/sdk/types.js"

export const bin = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url))

export interface Connection {
  readonly client: Client
  readonly transport: StdioClientTransport
  readonly stderr: () => string
  readonly call: (
    name: string,
    args: Record<string, unknown>,
    onProgress?: (progress: Progress) => void
  ) => Promise<CallToolResult>
  /** Asks for confirmations received, when the client answers elicitations. */
  readonly elicitations: Array<string>
}

export const connect = async (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly acceptElicitations?: boolean } = {}
): Promise<Connection> => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (turbo run build)`)
  // No key or base URL from the developer's shell leaks into a test.
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...env } = process.env as Record<string, string>
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "mcp", ...args],
    env: { ...env, NO_COLOR: "1", ...options.env },
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk
  })
  const elicitations: Array<string> = []
  const client = new Client(
    { name: "longsora-test", version: "0.0.0" },
    { capabilities: options.acceptElicitations ? { elicitation: { form: {} } } : {} }
  )
  if (options.acceptElicitations) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params.message)
      return { action: "accept", content: { confirm: true } }
    })
  }
  await client.connect(transport)
  const call: Connection["call"] = async (name, args, onProgress) =>
    (await client.callTool({ name, arguments: args }, undefined, {
      timeout: 60_000,
      resetTimeoutOnProgress: true,
      ...(onProgress ? { onprogress: onProgress } : {})
    })) as CallToolResult
  return { client, transport, stderr: () => stderr, call, elicitations }
}

export const text = (result: CallToolResult): string =>
  result.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n")

export const structured = <A = Record<string, unknown>>(result: CallToolResult): A => {
  if (result.isError) throw new Error(`tool error: ${text(result)}`)
  return result.structuredContent as A
}
