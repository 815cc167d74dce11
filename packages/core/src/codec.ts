import { InvalidArgumentError } from './errors/invalid-argument-error'
import { InvalidLinkError } from './errors/invalid-link-error'
import { base64UrlDecodeUtf8, base64UrlEncodeAscii } from './_internal/base64'

/**
 * How the payload of a tracking link is sealed into its last path segment.
 * The built-in {@link base64Codec} is pytracking's default; `@pytrack/crypto` supplies
 * Fernet (pytracking's `encryption_bytestring_key`) and signed codecs.
 *
 * A codec must be synchronous and must throw only pytrack errors from `open`.
 *
 * @example
 * ```ts
 * const configuration = new Configuration({ baseClickTrackingUrl, codec: base64Codec })
 * ```
 */
export interface Codec {
  /** A short name for logs and results, such as `base64`, `fernet` or `signed`. */
  readonly name: string
  /**
   * True when nobody without the secret can make a link this codec opens (Fernet, signed).
   * HTTP handlers redirect unauthenticated click links only to allowed destinations.
   */
  readonly authenticated: boolean
  /** Seals the payload (JSON text, ASCII only) into a token safe in a URL path segment. */
  seal(payload: string): string
  /** Opens a token and returns the payload; throws a pytrack error (e.g. InvalidLinkError) when it cannot. */
  open(token: string): string
}

/**
 * pytracking's default: the JSON payload in URL-safe base64 with `=` padding. Anyone can read
 * and forge such links; use `@pytrack/crypto` when that matters. Decoding accepts tokens with
 * or without padding, in either base64 alphabet.
 *
 * @example
 * ```ts
 * base64Codec.seal('{}') // 'e30='
 * base64Codec.open('e30') // '{}'
 * ```
 */
export const base64Codec: Codec = Object.freeze({
  name: 'base64',
  authenticated: false,
  seal: base64UrlEncodeAscii,
  open(token: string): string {
    const payload = base64UrlDecodeUtf8(token)
    if (payload === undefined) {
      throw new InvalidLinkError('tracking link is not valid URL-safe base64 of UTF-8 text')
    }
    return payload
  },
})

/**
 * A function that builds a codec from a pytracking `encryption_bytestring_key`.
 *
 * @example
 * ```ts
 * const factory: KeyCodecFactory = (key) => fernetCodec(key)
 * ```
 */
export type KeyCodecFactory = (key: string) => Codec

// Shared through a registered symbol so the ESM and CJS copies of core see the same factory.
const FACTORY_SLOT = Symbol.for('@pytrack/core/key-codec-factory')

/**
 * Lets a package (normally `@pytrack/crypto`, when imported) tell core how to turn
 * pytracking's `encryption_bytestring_key` into a codec, for {@link Configuration.fromPytracking}.
 *
 * @example
 * ```ts
 * registerKeyCodecFactory((key) => fernetCodec(key))
 * ```
 */
export function registerKeyCodecFactory(factory: KeyCodecFactory): void {
  if (typeof factory !== 'function') {
    throw new InvalidArgumentError('registerKeyCodecFactory takes a function (key: string) => Codec, such as (key) => fernetCodec(key)')
  }
  ;(globalThis as Record<symbol, unknown>)[FACTORY_SLOT] = factory
}

/**
 * The factory registered by {@link registerKeyCodecFactory}, if any.
 *
 * @example
 * ```ts
 * const codec = getKeyCodecFactory()?.(settings.encryption_bytestring_key)
 * ```
 */
export function getKeyCodecFactory(): KeyCodecFactory | undefined {
  return (globalThis as Record<symbol, unknown>)[FACTORY_SLOT] as KeyCodecFactory | undefined
}
