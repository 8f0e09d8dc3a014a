/**
 * A real PostgreSQL server for a test: initdb into a temp directory and `pg_ctl start` on a free
 * port. PostgreSQL refuses to run as root, so as root (CI) it runs as the `postgres` user. The
 * binaries are looked up on PATH, then in Debian's /usr/lib/postgresql/<version>/bin (`./task test`
 * installs the `postgresql` package when they are missing).
 */
import { execFile } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const exec = promisify(execFile)

const binDir = (): string => {
  const onPath = (process.env.PATH ?? "").split(":").find((dir) => existsSync(join(dir, "pg_ctl")))
  if (onPath) return onPath
  const debian = "/usr/lib/postgresql"
  const versions = existsSync(debian) ? readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : []
  const found = versions.map((v) => join(debian, v, "bin")).find((dir) => existsSync(join(dir, "pg_ctl")))
  if (!found) {
    throw new Error(
      "PostgreSQL's pg_ctl was not found: install it (Debian: apt-get install postgresql) or run ./task test"
    )
  }
  return found
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

export interface PgServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

export const start = async (): Promise<PgServer> => {
  const bin = binDir()
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), "longsora-pg-"))
  const data = join(dir, "data")
  // As root, every PostgreSQL command runs as `postgres`, which must own the directory.
  const run = (tool: string, args: ReadonlyArray<string>) =>
    asRoot ? exec("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : exec(join(bin, tool), [...args])
  if (asRoot) {
    const { stdout } = await exec("id", ["-u", "postgres"])
    const { stdout: gid } = await exec("id", ["-g", "postgres"])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"])
  const port = await freePort()
  await run("pg_ctl", [
    "-D",
    data,
    "-w",
    "-l",
    join(dir, "log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "start"
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
