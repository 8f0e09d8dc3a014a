/**
 * The `input_reference` image: where it comes from (upload, data: or https URL, uploaded file id), the
 * MIME check made on the declared type (as OpenAI does, not on magic bytes), and the exact-size
 * check ("Inpaint image must match the requested width and height").
 */

import type { LookupAddress } from "node:dns"
import { lookup } from "node:dns/promises"
import { createWriteStream } from "node:fs"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { get as httpsGet } from "node:https"
import { BlockList, isIP, type LookupFunction } from "node:net"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import sharp, { type Metadata } from "sharp"
import { ApiError, badRequest, invalidValue, referenceSizeMismatch, unsupportedMime } from "./ApiError.ts"
import { fileId } from "./Ids.ts"
import type { Limits } from "./Limits.ts"

export const SUPPORTED_MIME = ["image/jpeg", "image/png", "image/webp", "video/mp4"] as const

export interface ReferenceFile {
  readonly path: string
  readonly mimeType: string
}

export const checkMime = (mimeType: string): void => {
  const base = mimeType.split(";")[0]?.trim().toLowerCase() ?? ""
  if (!(SUPPORTED_MIME as ReadonlyArray<string>).includes(base)) throw unsupportedMime(base || mimeType)
}

/** Decodes a `data:<mime>;base64,...` URL to a file in `dir`. */
export const fromDataUrl = async (url: string, dir: string): Promise<ReferenceFile> => {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url)
  if (!match) {
    throw badRequest(
      "Invalid 'input_reference.image_url': expected a valid data URL.",
      "input_reference.image_url",
      "invalid_value"
    )
  }
  const mimeType = match[1] || "text/plain"
  const isBase64 = (match[2] ?? "").includes(";base64")
  const payload = match[3] ?? ""
  const bytes = isBase64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "latin1")
  const path = join(dir, `ref-${fileId()}`)
  await writeFile(path, bytes)
  return { path, mimeType }
}

const IMAGE_URL = "input_reference.image_url"

/**
 * An `image_url` as a file in `dir`: a `data:` URL decoded, or an https URL fetched (the contract
 * allows only these two). The fetch is guarded against server-side request forgery: the host must
 * resolve only to public addresses (no loopback, private, link-local, ...), the connection goes to
 * the address that was checked, redirects are not followed, and the body is capped in size and time.
 */
export const fetchImageUrl = async (url: string, dir: string, limits: Limits): Promise<ReferenceFile> => {
  if (url.startsWith("data:")) {
    await mkdir(dir, { recursive: true })
    return fromDataUrl(url, dir)
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidValue(IMAGE_URL, url.slice(0, 40), ["https URL", "data URL"])
  }
  if (parsed.protocol !== "https:") throw invalidValue(IMAGE_URL, `${parsed.protocol}…`, ["https URL", "data URL"])
  const address = await publicAddress(parsed.hostname)
  await mkdir(dir, { recursive: true })
  return download(parsed, address, dir, limits)
}

const downloadFailed = (url: URL, why: string) =>
  badRequest(`Error while downloading ${url.href}: ${why}.`, IMAGE_URL, "invalid_image_url")

/** The host's address if every address it resolves to is public; a 400 before any connection otherwise. */
const publicAddress = async (hostname: string): Promise<LookupAddress> => {
  const host = hostname.replace(/^\[(.*)\]$/, "$1")
  const family = isIP(host)
  const addresses: Array<LookupAddress> =
    family !== 0
      ? [{ address: host, family }]
      : await lookup(host, { all: true }).catch(() => {
          throw badRequest(`Error while downloading: could not resolve '${host}'.`, IMAGE_URL, "invalid_image_url")
        })
  const refused = addresses.find((a) => NON_PUBLIC.check(a.address, a.family === 6 ? "ipv6" : "ipv4"))
  if (refused || addresses.length === 0) {
    throw badRequest(
      `Invalid '${IMAGE_URL}': '${host}' resolves to ${refused?.address ?? "nothing"}, a loopback, private or link-local address; only public https URLs are fetched.`,
      IMAGE_URL,
      "invalid_image_url"
    )
  }
  return addresses[0] as LookupAddress
}

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges (IPv4-mapped IPv6 included). */
const NON_PUBLIC = (() => {
  const list = new BlockList()
  const v4 = [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4]
  ] as const
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, "ipv4")
  const v6 = [
    ["::", 128],
    ["::1", 128],
    ["64:ff9b::", 96],
    ["100::", 64],
    ["2001:db8::", 32],
    ["fc00::", 7],
    ["fe80::", 10],
    ["ff00::", 8]
  ] as const
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, "ipv6")
  return list
})()

/** GET over TLS to the checked address (SNI and certificate checks still use the host name). */
const download = (url: URL, address: LookupAddress, dir: string, limits: Limits): Promise<ReferenceFile> => {
  const path = join(dir, `ref-${fileId()}`)
  const pinned: LookupFunction = (_host, options, callback) =>
    options.all ? callback(null, [address]) : callback(null, address.address, address.family)
  return new Promise<ReferenceFile>((resolve, reject) => {
    const req = httpsGet(url, { lookup: pinned, signal: AbortSignal.timeout(limits.imageUrlTimeoutMs) }, (res) => {
      const status = res.statusCode ?? 0
      if (status !== 200) {
        res.resume()
        return reject(
          downloadFailed(url, status >= 300 && status < 400 ? "redirects are not followed" : `HTTP ${status}`)
        )
      }
      if (Number(res.headers["content-length"] ?? 0) > limits.maxImageUrlBytes) {
        res.destroy()
        return reject(downloadFailed(url, `larger than ${limits.maxImageUrlBytes} bytes`))
      }
      let bytes = 0
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes > limits.maxImageUrlBytes)
          res.destroy(downloadFailed(url, `larger than ${limits.maxImageUrlBytes} bytes`))
      })
      pipeline(res, createWriteStream(path)).then(
        () => resolve({ path, mimeType: res.headers["content-type"] ?? "application/octet-stream" }),
        (e: unknown) => reject(e instanceof ApiError ? e : downloadFailed(url, "the download failed"))
      )
    })
    req.on("error", () => reject(downloadFailed(url, "the request failed")))
  }).catch(async (e: unknown) => {
    await rm(path, { force: true })
    throw e
  })
}

/** Checks the image decodes and has exactly the requested pixel size. */
export const checkDimensions = async (ref: ReferenceFile, width: number, height: number): Promise<void> => {
  if (ref.mimeType.startsWith("video/")) {
    // The emulator only renders from still images; documented as a gap in the README.
    throw badRequest("The emulator supports only image input_reference files.", "input_reference", "invalid_value")
  }
  let meta: Metadata
  try {
    meta = await sharp(ref.path).metadata()
  } catch {
    throw badRequest(
      "Invalid file 'input_reference': the image could not be decoded.",
      "input_reference",
      "invalid_image"
    )
  }
  if (meta.width !== width || meta.height !== height) throw referenceSizeMismatch()
}
