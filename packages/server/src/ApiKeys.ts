/**
 * API keys the operator issues: `lsk_<id>_<secret>`. Only the id, a random salt and
 * HMAC-SHA-256(salt, secret) are stored; the key itself is shown once, when it is created. The
 * secret is 256 random bits, so a fast keyed hash is enough (a slow password hash such as scrypt
 * guards low-entropy passwords, and would cost every request tens of milliseconds). Comparison is in
 * constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Effect, Option } from "effect"
import { JobStore, type KeyRecord } from "./JobStore.ts"

export interface IssueOptions {
  readonly maxRunningJobs?: number | undefined
  readonly secondsPerDay?: number | undefined
}

const hashOf = (salt: string, secret: string) => createHmac("sha256", salt).update(secret).digest("hex")

const keyPattern = /^lsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** Creates a key named `name`; returns the key to hand out (it cannot be shown again). */
export const issue = Effect.fnUntraced(function* (name: string, options: IssueOptions = {}) {
  const store = yield* JobStore
  const id = randomBytes(8).toString("hex")
  const secret = randomBytes(32).toString("base64url")
  const salt = randomBytes(16).toString("hex")
  const record: KeyRecord = {
    id,
    name,
    salt,
    hash: hashOf(salt, secret),
    createdAt: Math.floor(Date.now() / 1000),
    maxRunningJobs: options.maxRunningJobs ?? null,
    secondsPerDay: options.secondsPerDay ?? null
  }
  yield* store.addKey(record)
  return { key: `lsk_${id}_${secret}`, record }
})

// Compared against when the id is unknown, so a miss costs what a hit costs.
const decoy = { salt: "0".repeat(32), hash: hashOf("0".repeat(32), "") }

/** The stored key that `presented` is, if it is one. */
export const verify = Effect.fnUntraced(function* (presented: string) {
  const store = yield* JobStore
  const match = keyPattern.exec(presented)
  const found = match ? yield* store.findKey(match[1]!) : Option.none<KeyRecord>()
  const against = Option.getOrElse(found, () => decoy)
  const computed = Buffer.from(hashOf(against.salt, match?.[2] ?? ""), "hex")
  const equal = timingSafeEqual(computed, Buffer.from(against.hash, "hex"))
  return equal && Option.isSome(found) ? found : Option.none<KeyRecord>()
})
