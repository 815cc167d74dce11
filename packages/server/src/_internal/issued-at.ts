import type { JsonValue } from '@pytrack/core'

/** The metadata key a sender may set to the send time: seconds (or ms) since the epoch, or an ISO 8601 date. */
export const SENT_AT_KEY = 'sent_at'

/**
 * When the link was made or sent, in ms since the epoch, or null when it does not say:
 * - `metadata.sent_at` when present (any codec, the only way for plain base64 links);
 * - a Fernet token's own timestamp (seconds, bytes 1-8 of the token, authenticated with it);
 * - a signed link's `.t<seconds>` field, which it carries when the codec has `maxAgeSeconds`.
 * Read only after the link was opened by the codec, so the token is known to be authentic.
 */
export function issuedAtOf(token: string, codec: string, metadata: Record<string, JsonValue>): number | null {
  const sent = metadata[SENT_AT_KEY]
  if (typeof sent === 'number' && Number.isFinite(sent) && sent > 0) return sent < 1e11 ? sent * 1000 : sent
  if (typeof sent === 'string') {
    const parsed = Date.parse(sent)
    if (Number.isFinite(parsed)) return parsed
  }
  if (codec === 'fernet') return fernetTime(token)
  if (codec === 'signed') {
    const field = /\.t(\d{1,12})(?=\.)/.exec(token)
    return field === null ? null : Number(field[1]) * 1000
  }
  return null
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const SEXTETS = new Int8Array(128).fill(-1)
for (let i = 0; i < BASE64URL.length; i++) SEXTETS[BASE64URL.charCodeAt(i)] = i
// Standard base64 too, as some senders write Fernet tokens.
SEXTETS['+'.charCodeAt(0)] = 62
SEXTETS['/'.charCodeAt(0)] = 63

/**
 * A Fernet token's timestamp in ms: its first 12 characters are 9 bytes, the version (0x80)
 * then 8 bytes of seconds, big-endian. Read by hand, not through a Buffer: this runs on every hit.
 */
function fernetTime(token: string): number | null {
  if (token.length < 12) return null
  // 12 characters, 72 bits: the version byte, then the 64-bit seconds (of which the high 24 bits stay 0 for millennia).
  let high = 0
  let low = 0
  for (let i = 0; i < 12; i++) {
    const code = token.charCodeAt(i)
    const sextet = code < 128 ? SEXTETS[code]! : -1
    if (sextet < 0) return null
    // high holds bits 0..35 (version + the top 28 bits of seconds), low bits 36..71.
    if (i < 6) high = high * 64 + sextet
    else low = low * 64 + sextet
  }
  if (Math.floor(high / 2 ** 28) !== 0x80) return null
  return ((high % 2 ** 28) * 2 ** 36 + low) * 1000
}

/** The token of a request target: its last path segment, without query or trailing slash. */
export function tokenOfTarget(target: string): string {
  const query = target.indexOf('?')
  let path = query === -1 ? target : target.slice(0, query)
  if (path.endsWith('/')) path = path.slice(0, -1)
  return path.slice(path.lastIndexOf('/') + 1)
}
