/** Runs the built `longsora` binary as a real process, for end-to-end tests. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly child: ChildProcess
  readonly stdoutLines: Array<string>
  readonly finished: Promise<Finished>
}

/** A clean environment: no key or base URL from the developer's shell leaks into a test. */
export const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...rest } = process.env
  return { ...rest, NO_COLOR: "1", ...extra }
}

export const start = (
  args: ReadonlyArray<string>,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}
): Running => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: options.env ?? baseEnv(),
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const stdoutLines: Array<string> = []
  let partial = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk
    partial += chunk
    const lines = partial.split("\n")
    partial = lines.pop()!
    stdoutLines.push(...lines)
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk
  })
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, stdoutLines, finished }
}

export const run = (args: ReadonlyArray<string>, options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  start(args, options).finished

/** Resolves once a stdout line satisfies `predicate`. */
export const waitForLine = (running: Running, predicate: (line: string) => boolean, timeoutMs = 60_000) =>
  new Promise<string>((resolve, reject) => {
    const started = Date.now()
    const check = () => {
      const line = running.stdoutLines.find(predicate)
      if (line !== undefined) return resolve(line)
      if (running.child.exitCode !== null) return reject(new Error(`process exited (${running.child.exitCode}) first`))
      if (Date.now() - started > timeoutMs) return reject(new Error("timed out waiting for a line"))
      setTimeout(check, 20)
    }
    check()
  })

/**
 * A 2-segment `generate --json --yes` against a running emulator, with its own job registry
 * (`stateDir`): the run the resume and fault tests kill and repeat.
 */
export const generateTwoSegments = (
  emulator: { readonly baseURL: string; readonly apiKey: string },
  output: string,
  stateDir: string,
  extra: ReadonlyArray<string> = []
): Running =>
  start(
    [
      "generate",
      "A lighthouse keeper climbs the stairs at dusk.",
      "--durations",
      "4,4",
      "--base-url",
      emulator.baseURL,
      "--output",
      output,
      "--json",
      "--yes",
      ...extra
    ],
    { env: baseEnv({ OPENAI_API_KEY: emulator.apiKey, LONGSORA_STATE_DIR: stateDir }) }
  )
