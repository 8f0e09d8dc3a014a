/** Clips written atomically with their SHA-256: base64 decoded a chunk at a time, URLs redacted when shown. */
import { createHash, randomBytes } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Download from "../src/Download.ts"
import * as Redaction from "../src/Redaction.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "provider-kit-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

describe("Download", () => {
  it.live("base64 over several chunks decodes to the same bytes and hash, renamed into place", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const bytes = randomBytes(3 * 1024 * 1024 + 7)
      const destination = join(dir, "clip.mp4")
      const sha256 = yield* Download.atomically(destination, (temp) =>
        Effect.promise(() => Download.base64ToPath(`data:video/mp4;base64,${bytes.toString("base64")}`, temp))
      )
      assert.strictEqual(sha256, createHash("sha256").update(bytes).digest("hex"))
      assert.isTrue(Buffer.from(yield* Effect.promise(() => readFile(destination))).equals(bytes))
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), ["clip.mp4"])
    })
  )

  it.live("a body shorter than its content-length fails and leaves no part file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const body = new Response(new Uint8Array(10)).body!
      const failed = yield* Effect.flip(
        Download.atomically(join(dir, "clip.mp4"), (temp) =>
          Effect.tryPromise(() => Download.streamToPath(body, temp, { expectedBytes: 20 }))
        )
      )
      assert.include(String(failed.cause), "cut short")
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), [])
    })
  )
})

describe("Redaction", () => {
  it("redacts keys and signatures in URLs and in text", () => {
    const url = "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media&key=AIzaSECRET123"
    assert.strictEqual(
      Redaction.redactUrl(url),
      "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media&key=[redacted]"
    )
    const text = Redaction.scrub(`GET ${url} failed; key AIzaSECRET123`, ["AIzaSECRET123"])
    assert.notInclude(text, "AIzaSECRET123")
    assert.include(
      Redaction.redactUrl("https://cdn.example/v.mp4?X-Amz-Signature=abc&x=1"),
      "X-Amz-Signature=[redacted]&x=1"
    )
  })
})
