/**
 * Keys and limits on a real `longsora serve`: keys issued with `longsora serve keys create` (stored
 * hashed), Bearer auth, per-key limits on running jobs and seconds per day (429), the body limit
 * (413), each key seeing only its own jobs, and CORS off unless origins are allowed.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ServeProcess from "./ServeProcess.ts"

const tiny = "tiny:4,8,12:320x180:0.1"
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "longsora-server-auth-"))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const issue = async (dataDir: string, name: string, ...flags: Array<string>) => {
  const result = await ServeProcess.run(["serve", "keys", "create", name, "--data-dir", dataDir, ...flags])
  expect(result.code).toBe(0)
  return result.stdout.trim()
}

const create = (baseURL: string, key: string | undefined, body: Record<string, unknown>) =>
  ServeProcess.curl([
    `${baseURL}/videos`,
    "-H",
    "content-type: application/json",
    ...(key ? ["-H", `authorization: Bearer ${key}`] : []),
    "-d",
    JSON.stringify(body)
  ])

describe("longsora serve: keys and limits", { timeout: 120_000 }, () => {
  it("Bearer keys issued by the operator, stored hashed; limits per key answer 429; bodies over the limit 413", async () => {
    const dataDir = join(dir, "limits")
    const alice = await issue(dataDir, "alice", "--max-running-jobs", "1")
    const bob = await issue(dataDir, "bob", "--seconds-per-day", "8")
    expect(alice).toMatch(/^lsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    // Only a hash is stored: the secret is nowhere in the store.
    const stored = readFileSync(join(dataDir, "server.sqlite"))
    expect(stored.includes(Buffer.from(alice.split("_")[2]!))).toBe(false)
    const listed = await ServeProcess.run(["serve", "keys", "list", "--data-dir", dataDir])
    expect(listed.stdout).toMatch(/alice\tlsk_[0-9a-f]{16}_…/)

    const server = await ServeProcess.start([
      "--offline",
      "--data-dir",
      dataDir,
      "--gateway-model",
      tiny,
      "--max-body-bytes",
      "2000"
    ])
    try {
      const job = { prompt: "A kite over a beach.", model: "tiny", seconds: "4" }
      const anonymous = await create(server.baseURL, undefined, job)
      expect(anonymous.status).toBe(401)
      expect(JSON.parse(anonymous.body.toString()).error.message).toMatch(/Authorization: Bearer/)
      const wrong = await create(server.baseURL, `${alice.slice(0, -1)}x`, job)
      expect(wrong.status).toBe(401)
      expect(JSON.parse(wrong.body.toString()).error.code).toBe("invalid_api_key")

      const first = await create(server.baseURL, alice, job)
      expect(first.status).toBe(200)
      const second = await create(server.baseURL, alice, job)
      expect(second.status).toBe(429)
      expect(JSON.parse(second.body.toString()).error).toMatchObject({
        type: "rate_limit_error",
        code: "too_many_running_jobs"
      })

      const eight = await create(server.baseURL, bob, { ...job, seconds: "8" })
      expect(eight.status).toBe(200)
      const more = await create(server.baseURL, bob, job)
      expect(more.status).toBe(429)
      expect(JSON.parse(more.body.toString()).error).toMatchObject({ code: "daily_seconds_exceeded" })

      // Each key sees its own jobs only; another key's job reads as missing.
      const aliceId = JSON.parse(first.body.toString()).id as string
      const asBob = new OpenAI({ apiKey: bob, baseURL: server.baseURL, maxRetries: 0 })
      await expect(asBob.videos.retrieve(aliceId)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
      const bobs = await asBob.videos.list()
      expect(bobs.data.map((v) => v.id)).toEqual([JSON.parse(eight.body.toString()).id])

      const huge = await create(server.baseURL, alice, { ...job, prompt: "x".repeat(5000) })
      expect(huge.status).toBe(413)
      expect(JSON.parse(huge.body.toString()).error.code).toBe("request_too_large")

      // CORS is off: no browser origin is allowed.
      const preflight = await ServeProcess.curl([
        "-X",
        "OPTIONS",
        "-H",
        "origin: https://app.example",
        "-H",
        "access-control-request-method: POST",
        `${server.baseURL}/videos`
      ])
      expect(preflight.headers).not.toMatch(/access-control-allow-origin/i)
    } finally {
      await server.stop()
    }
  })

  it("--cors-origin allows exactly the origins given", async () => {
    const server = await ServeProcess.start([
      "--offline",
      "--data-dir",
      join(dir, "cors"),
      "--cors-origin",
      "https://app.example"
    ])
    try {
      const preflight = (origin: string) =>
        ServeProcess.curl([
          "-X",
          "OPTIONS",
          "-H",
          `origin: ${origin}`,
          "-H",
          "access-control-request-method: POST",
          `${server.baseURL}/videos`
        ])
      expect((await preflight("https://app.example")).headers).toMatch(
        /access-control-allow-origin: https:\/\/app\.example/i
      )
      // Another origin is never named (nor `*`), so a browser refuses the call.
      const other = (await preflight("https://evil.example")).headers
      expect(other).not.toMatch(/access-control-allow-origin: (https:\/\/evil\.example|\*)/i)
    } finally {
      await server.stop()
    }
  })

  it("off loopback without keys, every call is refused and the answer says how to issue a key", async () => {
    const server = await ServeProcess.start(["--offline", "--host", "0.0.0.0", "--data-dir", join(dir, "open")])
    try {
      const port = new URL(server.baseURL).port
      const answer = await create(`http://127.0.0.1:${port}/v1`, undefined, { prompt: "x" })
      expect(answer.status).toBe(401)
      expect(JSON.parse(answer.body.toString()).error.message).toMatch(/longsora serve keys create/)
    } finally {
      await server.stop()
    }
  })
})
