#!/usr/bin/env node
/**
 * `longsora-emulator`: starts the emulator, prints its base URL, stops cleanly on SIGINT/SIGTERM.
 */
import { CliError, parse, USAGE } from "./Cli.ts"
import { start } from "./Emulator.ts"

const main = async (): Promise<void> => {
  let options: ReturnType<typeof parse>
  try {
    options = parse(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${e instanceof CliError || e instanceof Error ? e.message : String(e)}\n\n${USAGE}`)
    process.exit(2)
  }
  if (options === "help") {
    process.stdout.write(USAGE)
    return
  }
  const emu = await start(options)
  process.stdout.write(`${emu.baseURL}\n`)
  // stdout stays one line (the OpenAI base URL) for scripts; the dialects' URLs go to stderr.
  process.stderr.write(
    `longsora-emulator: OpenAI ${emu.baseURL} · Gemini ${emu.geminiBaseURL} · fal queue ${emu.falQueueURL} (stands for https://queue.fal.run)\n`
  )
  const stop = (signal: string) => {
    process.stderr.write(`longsora-emulator: ${signal}, shutting down\n`)
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once("SIGINT", () => stop("SIGINT"))
  process.once("SIGTERM", () => stop("SIGTERM"))
}

main().catch((e: unknown) => {
  process.stderr.write(`longsora-emulator: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
