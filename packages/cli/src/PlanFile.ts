/** `plan.json`: written by `longsora plan`, edited by people, read by `generate --plan` (core's rule). */
import { PlanFile } from "@longsora/core"

export const { PlanFileError, read, write } = PlanFile
