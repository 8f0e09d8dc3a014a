/** The published package's version (`../package.json` from both `src/` and `dist/`). */
import { createRequire } from "node:module"

export const version: string = createRequire(import.meta.url)("../package.json").version
