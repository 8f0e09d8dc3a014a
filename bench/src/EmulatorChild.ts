/**
 * The emulator in its own process, so the LongSora side's peak RSS is its own. Started by the
 * harness with the emulator options as JSON in argv[2]; speaks over the IPC channel:
 * → `{ type: "ready", baseURL, geminiBaseURL, apiKey }`; ← `"stats"` → `{ type: "stats", stats }`; ← `"close"`.
 */
import { Emulator } from "@longsora/emulator"

const options = JSON.parse(process.argv[2] ?? "{}") as Emulator.EmulatorOptions
const emu = await Emulator.start(options)
const send = (message: unknown) => process.send?.(message)

process.on("message", (message) => {
  if (message === "stats") send({ type: "stats", stats: emu.stats() })
  if (message === "close") {
    void emu.close().finally(() => process.exit(0))
  }
})
process.on("disconnect", () => {
  void emu.close().finally(() => process.exit(0))
})
send({ type: "ready", baseURL: emu.baseURL, geminiBaseURL: emu.geminiBaseURL, apiKey: emu.apiKey })
