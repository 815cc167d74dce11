import { createHmac, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError, InvalidLinkError, base64Codec, describeValue, type Codec } from '@pytrack/core'
import type { CodecOptions } from './codec-options'
import { InvalidKeyError } from './errors/invalid-key-error'
import { ageOptions, checkAge } from './_internal/age'
import { base64UrlPadded } from './_internal/fernet-token'

/**
 * A secret for {@link signedCodec}: text (used as its UTF-8 bytes) or bytes, at least 16
 * bytes long (32 random bytes recommended), optionally with a key id that links carry so
 * the right secret is found at once.
 *
 * @example
 * ```ts
 * const secret: SignedSecret = { id: '2026', secret: process.env.LINK_SECRET! }
 * ```
 */
export type SignedSecret =
  | string
  | Uint8Array
  | {
      /** The key id links carry, so the right secret is found at once. */
      readonly id: string
      /** The secret: text (used as its UTF-8 bytes) or bytes, at least 16 bytes long. */
      readonly secret: string | Uint8Array
    }

/**
 * Options of {@link signedCodec}.
 *
 * @example
 * ```ts
 * const options: SignedCodecOptions = { maxAgeSeconds: 30 * 86400, tagBytes: 16 }
 * ```
 */
export interface SignedCodecOptions extends CodecOptions {
  /** Bytes of HMAC-SHA256 kept in the tag, 12 to 32. Default: 16 (128 bits, 22 characters). */
  tagBytes?: number | undefined
}

/** What the HMAC is computed over, before the token text: binds tags to this format and version. */
const CONTEXT = 'pytrack-signed-v1.'
const MIN_SECRET_BYTES = 16
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const BODY = /^[A-Za-z0-9_-]+={0,2}$/
const TAG = /^[A-Za-z0-9_-]+$/
const ISSUED_AT = /^(?:0|[1-9][0-9]{0,15})$/

interface Secret {
  readonly id: string | undefined
  readonly key: Buffer
}

function secretOf(item: unknown, index: number): Secret {
  let id: string | undefined
  let value: unknown = item
  if (typeof item === 'object' && item !== null && !(item instanceof Uint8Array)) {
    const entry = item as { id?: unknown; secret?: unknown }
    if (typeof entry.id !== 'string' || !KEY_ID.test(entry.id)) {
      throw new InvalidKeyError(`secret #${index + 1}: a key id must be 1 to 32 characters of A-Z a-z 0-9 _ -`)
    }
    id = entry.id
    value = entry.secret
  }
  let key: Buffer
  if (typeof value === 'string') key = Buffer.from(value, 'utf8')
  else if (value instanceof Uint8Array) key = Buffer.from(value)
  else {
    throw new InvalidKeyError(
      `secret #${index + 1} must be a string, bytes or { id, secret }, not ${describeValue(value)}`,
    )
  }
  if (key.length < MIN_SECRET_BYTES) {
    throw new InvalidKeyError(
      `secret #${index + 1} is ${key.length} bytes; a signing secret needs at least ${MIN_SECRET_BYTES} (32 random bytes recommended, e.g. Fernet.generateKey())`,
    )
  }
  return Object.freeze({ id, key })
}

const MALFORMED = 'the tracking link is not a signed pytrack link (body[.k<id>][.t<time>].tag)'
const FORGED =
  "the tracking link's tag does not match: it was altered, or signed with a secret this codec does not have"

/**
 * A codec for readable but tamper-proof links (pytracking has none): the payload stays
 * pytracking's URL-safe base64 JSON, followed by a short HMAC-SHA256 tag, and optionally a
 * key id and the time it was made. Anyone can read the link; nobody without a secret can
 * make or alter one. Several secrets (newest first) rotate: links are signed with the first
 * and opened with the one their key id names, or by trying each. The wire format is in the
 * package README.
 *
 * `open` throws {@link InvalidLinkError} for a malformed or forged link and
 * {@link LinkExpiredError} for an authentic link older than `maxAgeSeconds`.
 *
 * @example
 * ```ts
 * import { Configuration, getOpenTrackingUrl } from '@pytrack/core'
 * import { signedCodec } from '@pytrack/crypto'
 *
 * const codec = signedCodec([{ id: '2026', secret: process.env.LINK_SECRET! }], { maxAgeSeconds: 90 * 86400 })
 * const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', codec })
 * getOpenTrackingUrl({ customer_id: 1 }, { configuration })
 * // https://t.example.com/o/eyJtZXRhZGF0YSI6IHsiY3VzdG9tZXJfaWQiOiAxfX0=.k2026.t1767225600.<22-character tag>
 * ```
 */
export function signedCodec(
  secretOrSecrets: SignedSecret | readonly SignedSecret[],
  options: SignedCodecOptions = {},
): Codec {
  const list: readonly unknown[] = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets]
  if (list.length === 0) throw new InvalidKeyError('give at least one signing secret (the first one signs, any of them opens)')
  const secrets = list.map(secretOf)
  const ids = new Set<string>()
  for (const { id } of secrets) {
    if (id === undefined) continue
    if (ids.has(id)) throw new InvalidKeyError(`key id "${id}" is given twice; each secret needs its own id`)
    ids.add(id)
  }
  const { maxAgeSeconds, clock } = ageOptions(options)
  const tagBytes = options.tagBytes ?? 16
  if (!Number.isInteger(tagBytes) || tagBytes < 12 || tagBytes > 32) {
    throw new InvalidArgumentError(`tagBytes must be a whole number from 12 to 32; got ${describeValue(tagBytes)}`)
  }
  const tagChars = Math.ceil((tagBytes * 4) / 3)
  const signing = secrets[0] as Secret
  const keyField = signing.id === undefined ? '' : `.k${signing.id}`

  const tagOf = (key: Buffer, signed: string): string =>
    createHmac('sha256', key).update(CONTEXT).update(signed).digest().subarray(0, tagBytes).toString('base64url')

  return Object.freeze({
    name: 'signed',
    authenticated: true,
    seal(payload: string): string {
      if (typeof payload !== 'string') throw new InvalidArgumentError('signedCodec.seal takes the payload as a string')
      let signed = base64UrlPadded(Buffer.from(payload, 'utf8')) + keyField
      if (maxAgeSeconds !== undefined) signed += `.t${clock()}`
      return `${signed}.${tagOf(signing.key, signed)}`
    },
    open(token: string): string {
      if (typeof token !== 'string') throw new InvalidArgumentError('signedCodec.open takes the token as a string')
      const last = token.lastIndexOf('.')
      const tag = token.slice(last + 1)
      if (last === -1 || tag.length !== tagChars || !TAG.test(tag)) throw new InvalidLinkError(MALFORMED)
      const signed = token.slice(0, last)
      const [body = '', ...fields] = signed.split('.')
      let id: string | undefined
      let issuedAt: number | undefined
      for (const field of fields) {
        const value = field.slice(1)
        if (field[0] === 'k' && id === undefined && issuedAt === undefined && KEY_ID.test(value)) id = value
        else if (field[0] === 't' && issuedAt === undefined && ISSUED_AT.test(value)) issuedAt = Number(value)
        else throw new InvalidLinkError(MALFORMED)
      }
      if (!BODY.test(body) || (issuedAt !== undefined && !Number.isSafeInteger(issuedAt))) {
        throw new InvalidLinkError(MALFORMED)
      }
      const given = Buffer.from(tag, 'latin1')
      let authentic = false
      for (const secret of secrets) {
        if (id !== undefined && secret.id !== id) continue
        // Compares the tag text, so only the canonical base64 of the tag is accepted.
        if (timingSafeEqual(Buffer.from(tagOf(secret.key, signed), 'latin1'), given)) {
          authentic = true
          break
        }
      }
      if (!authentic) throw new InvalidLinkError(FORGED)
      if (maxAgeSeconds !== undefined) {
        if (issuedAt === undefined) {
          throw new InvalidLinkError('the tracking link carries no time, so its age cannot be checked against maxAgeSeconds')
        }
        checkAge(issuedAt, maxAgeSeconds, clock())
      }
      return base64Codec.open(body)
    },
  })
}
