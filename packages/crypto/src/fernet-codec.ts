import { InvalidLinkError, type Codec } from '@pytrack/core'
import { InvalidTokenError } from './errors/invalid-token-error'
import type { CodecOptions } from './codec-options'
import { ageOptions, checkAge } from './_internal/age'
import type { Fernet, FernetKey } from './fernet'
import type { MultiFernet } from './multi-fernet'
import {
  decodeToken,
  decodeUtf8,
  fernetKeysOf,
  openData,
  parseKeyList,
  plaintextBytes,
  randomIv,
  sealToken,
  timestampOf,
  type FernetKeys,
} from './_internal/fernet-token'

/**
 * The keys a codec uses: one key (text or bytes), a {@link Fernet} or {@link MultiFernet},
 * or a list of keys/Fernets newest first (the first seals, any opens).
 *
 * @example
 * ```ts
 * const keys: FernetKeyring = [process.env.NEW_KEY!, process.env.OLD_KEY!]
 * ```
 */
export type FernetKeyring = FernetKey | Fernet | MultiFernet | readonly (FernetKey | Fernet)[]

function keyringOf(keyOrKeys: FernetKeyring): readonly FernetKeys[] {
  return Array.isArray(keyOrKeys)
    ? parseKeyList(keyOrKeys as readonly unknown[])
    : fernetKeysOf(keyOrKeys)
}

const REFUSED =
  'the tracking link is not a valid Fernet token for the configured key(s): it was altered, truncated, or made with another key'

/**
 * The codec of pytracking's `encryption_bytestring_key`: the payload is sealed with Fernet
 * and the token itself is the link's last path segment, so links made here open in
 * pytracking and links pytracking made open here. Give several keys (newest first) to
 * rotate: links are sealed with the first and opened with any.
 *
 * `open` throws {@link InvalidLinkError} (its `cause` an {@link InvalidTokenError}) for any
 * token it refuses, and {@link LinkExpiredError} for an authentic link older than `maxAgeSeconds`.
 *
 * @example
 * ```ts
 * import { Configuration, getClickTrackingUrl } from '@pytrack/core'
 * import { fernetCodec } from '@pytrack/crypto'
 *
 * const configuration = new Configuration({
 *   baseClickTrackingUrl: 'https://t.example.com/c/',
 *   codec: fernetCodec([process.env.FERNET_KEY!, process.env.OLD_FERNET_KEY!]),
 * })
 * const link = getClickTrackingUrl('https://example.com/', { customer_id: 1 }, { configuration })
 * ```
 */
export function fernetCodec(keyOrKeys: FernetKeyring, options: CodecOptions = {}): Codec {
  const keyring = keyringOf(keyOrKeys)
  const sealing = keyring[0] as FernetKeys
  const { maxAgeSeconds, clock } = ageOptions(options)
  return Object.freeze({
    name: 'fernet',
    authenticated: true,
    seal(payload: string): string {
      return sealToken(sealing, plaintextBytes(payload), clock(), randomIv())
    },
    open(token: string): string {
      const data = decodeToken(token)
      const plaintext = data && openData(keyring, data)
      if (!data || !plaintext) throw new InvalidLinkError(REFUSED, { cause: new InvalidTokenError() })
      if (maxAgeSeconds !== undefined) checkAge(timestampOf(data), maxAgeSeconds, clock())
      const payload = decodeUtf8(plaintext)
      if (payload === undefined) throw new InvalidLinkError('the tracking link payload is not UTF-8 text')
      return payload
    },
  })
}
