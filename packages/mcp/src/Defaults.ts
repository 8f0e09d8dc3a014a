/** The server's defaults, in a module of their own so a command line can show them without loading the server. */

/** Where runs are made and found, relative to the working directory. */
export const runsDir = "longsora-runs"

/** Runs estimated above this many USD ask the user first (the CLI's `--confirm-above` default too). */
export const confirmAboveUsd = 5
