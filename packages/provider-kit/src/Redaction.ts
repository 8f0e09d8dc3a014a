/**
 * Keys and signatures out of everything we show. Providers put credentials in result URLs (the
 * Gemini API's `?key=`, signed CDN links), so a URL is redacted before it reaches a log, an error,
 * an NDJSON event or the manifest; any text we build is also scrubbed of the keys we know.
 */

/** Query parameters whose values are credentials or signatures. */
const SECRET_PARAMS =
  /^(key|api[-_]?key|access[-_]?token|token|auth|authorization|sig|signature|x-goog-signature|x-goog-credential|x-amz-signature|x-amz-credential|x-amz-security-token|se|sp|sv|st|skoid|sktid|password|secret|client_secret)$/i

export const REDACTED = "[redacted]"

/** The URL with credential-bearing query values and any user:password replaced by `[redacted]`. */
export const redactUrl = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/([?&](?:key|api_key|token|sig|signature)=)[^&#\s]*/gi, `$1${REDACTED}`)
  }
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED
    parsed.password = ""
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(name)) parsed.searchParams.set(name, REDACTED)
  }
  return parsed.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED)
}

/** Every URL in `text` redacted (error messages often quote the URL they failed on). */
export const redactUrls = (text: string): string => text.replace(/\bhttps?:\/\/[^\s"'<>]+/g, (url) => redactUrl(url))

/** `text` with each secret (4 characters or longer) replaced, and every URL in it redacted. */
export const scrub = (text: string, secrets: ReadonlyArray<string | undefined> = []): string => {
  let out = redactUrls(text)
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join(REDACTED)
  }
  return out
}
