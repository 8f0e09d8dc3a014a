/** `longsora serve` as a real child process (the built CLI), for end-to-end tests. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url))

/** A clean environment: no key or base URL from the developer's shell leaks into a test. */
export const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...rest } = process.env
  return { ...rest, NO_COLOR: "1", ...extra }
}

export interface Serving {
  readonly child: ChildProcess
  /** `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string
  readonly output: () => string
  /** SIGTERM, then waits for the exit. */
  readonly stop: () => Promise<void>
  /** SIGKILL, then waits for the exit. */
  readonly kill: () => Promise<void>
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
  })

/** Starts `longsora serve --port 0 ARGS…` and resolves once it listens. */
export const start = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = baseEnv()): Promise<Serving> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = /listening on (http:\/\/\S+\/v1)/.exec(output)
      if (match) {
        child.stdout!.off("data", onData)
        child.stdout!.on("data", (more: Buffer) => {
          output += more
        })
        resolve({
          child,
          baseURL: match[1]!,
          output: () => output,
          stop: async () => {
            child.kill("SIGTERM")
            await exited(child)
          },
          kill: async () => {
            child.kill("SIGKILL")
            await exited(child)
          }
        })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk
    })
    child.once("exit", (code) => reject(new Error(`longsora serve exited (${code}) before listening:\n${output}`)))
  })

/** Runs the CLI to completion (e.g. `serve keys create`). */
export const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = baseEnv()) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk
    })
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** curl as a real process: status, headers and body (`-i`: the header blocks come before the body). */
export const curl = (args: ReadonlyArray<string>) =>
  new Promise<{ status: number; headers: string; body: Buffer }>((resolve, reject) => {
    const child = spawn("curl", ["-s", "-i", ...args], { stdio: ["ignore", "pipe", "inherit"] })
    const chunks: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk))
    child.on("error", reject)
    child.on("close", () => {
      let rest = Buffer.concat(chunks)
      let headers = ""
      while (rest.subarray(0, 5).toString() === "HTTP/") {
        const end = rest.indexOf("\r\n\r\n")
        if (end < 0) break
        headers = rest.subarray(0, end).toString()
        rest = rest.subarray(end + 4)
      }
      const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(headers)?.[1] ?? 0)
      resolve({ status, headers, body: rest })
    })
  })

export const until = async <A>(
  probe: () => Promise<A | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100
): Promise<A> => {
  const started = Date.now()
  while (true) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() - started > timeoutMs) throw new Error("timed out")
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
