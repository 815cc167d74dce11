import { randomBytes } from 'node:crypto'
import { InvalidArgumentError } from '@pytrack/core'
import { InvalidTokenError } from './errors/invalid-token-error'
import {
  authenticTimestamp,
  base64UrlPadded,
  checkTime,
  decryptAt,
  decryptNow,
  keysOfInstance,
  nowSeconds,
  parseFernetKey,
  plaintextBytes,
  plaintextString,
  randomIv,
  sealToken,
  type FernetKeys,
} from './_internal/fernet-token'

/**
 * A Fernet key: the 44-character URL-safe base64 text Python's `Fernet.generate_key()` makes
 * (what pytracking calls `encryption_bytestring_key`), or the 32 raw key bytes.
 *
 * @example
 * ```ts
 * const key: FernetKey = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
 * ```
 */
export type FernetKey = string | Uint8Array

/**
 * A token as given to the decrypting methods: text, or its ASCII bytes (as Python accepts).
 *
 * @example
 * ```ts
 * const token: FernetToken = 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=='
 * ```
 */
export type FernetToken = string | Uint8Array

/**
 * Options of {@link Fernet.decrypt}.
 *
 * @example
 * ```ts
 * const options: FernetDecryptOptions = { ttl: 3600 } // refuse tokens older than an hour
 * ```
 */
export interface FernetDecryptOptions {
  /**
   * Refuse tokens older than this many seconds (expired when `timestamp + ttl < now`), and,
   * as Python does, tokens stamped more than 60 seconds in the future. Default: no limit.
   */
  ttl?: number | undefined
}

/**
 * Fernet symmetric encryption, token for token compatible with Python's
 * `cryptography.fernet.Fernet` (and so with pytracking's `encryption_bytestring_key`):
 * AES-128-CBC with PKCS7 padding, HMAC-SHA256 checked in constant time before anything is
 * decrypted, URL-safe base64 with `=` padding. Every refused token throws the same
 * {@link InvalidTokenError}.
 *
 * @example
 * ```ts
 * const fernet = new Fernet(Fernet.generateKey())
 * const token = fernet.encrypt('hello')
 * fernet.decryptToString(token, { ttl: 60 }) // 'hello'
 * ```
 */
export class Fernet {
  readonly #keys: FernetKeys
  readonly #keyList: readonly FernetKeys[]

  /**
   * @param key - URL-safe base64 text of 32 bytes (Python's form, e.g. from {@link Fernet.generateKey}) or the 32 raw bytes.
   * @throws {@link InvalidKeyError} when the key has the wrong length or is not base64.
   */
  constructor(key: FernetKey) {
    this.#keys = parseFernetKey(key)
    this.#keyList = [this.#keys]
    keysOfInstance.set(this, this.#keyList)
  }

  /**
   * A new random key as URL-safe base64 text, as Python's `Fernet.generate_key()`.
   *
   * @example
   * ```ts
   * const key = Fernet.generateKey() // e.g. 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
   * ```
   */
  static generateKey(): string {
    return base64UrlPadded(randomBytes(32))
  }

  /**
   * Encrypts bytes, or a string as UTF-8, stamped with the current time.
   *
   * @example
   * ```ts
   * const token = fernet.encrypt(new Uint8Array([1, 2, 3]))
   * ```
   */
  encrypt(data: string | Uint8Array): string {
    return sealToken(this.#keys, plaintextBytes(data), nowSeconds(), randomIv())
  }

  /**
   * Encrypts with a given time (seconds since the epoch) and, for reproducible tests only,
   * a given IV. Never reuse an IV in production: leave it out.
   *
   * @example
   * ```ts
   * fernet.encryptAtTime('hello', 499162800, new Uint8Array(16)) // the same token every time
   * ```
   */
  encryptAtTime(data: string | Uint8Array, time: number, iv?: Uint8Array): string {
    const bytes = plaintextBytes(data)
    checkTime('time', time)
    if (iv !== undefined && (!(iv instanceof Uint8Array) || iv.length !== 16)) {
      throw new InvalidArgumentError('iv must be 16 bytes (a Uint8Array); leave it out to get a random one')
    }
    return sealToken(this.#keys, bytes, time, iv ?? randomIv())
  }

  /**
   * Decrypts a token and returns its bytes. Throws {@link InvalidTokenError} for any token it
   * refuses (including one older than `ttl`).
   *
   * @example
   * ```ts
   * const bytes = fernet.decrypt(token, { ttl: 3600 })
   * ```
   */
  decrypt(token: FernetToken, options?: FernetDecryptOptions): Uint8Array {
    return decryptNow(this.#keyList, token, options)
  }

  /**
   * Decrypts as if the time were `time` (seconds since the epoch), with a `ttl` in seconds:
   * Python's `decrypt_at_time`.
   *
   * @example
   * ```ts
   * fernet.decryptAtTime(token, 60, 499162801)
   * ```
   */
  decryptAtTime(token: FernetToken, ttl: number, time: number): Uint8Array {
    return decryptAt(this.#keyList, token, ttl, time)
  }

  /**
   * Decrypts a token whose plaintext is UTF-8 text (decoded strictly; a leading BOM is kept).
   *
   * @example
   * ```ts
   * fernet.decryptToString(fernet.encrypt('héllo')) // 'héllo'
   * ```
   */
  decryptToString(token: FernetToken, options?: FernetDecryptOptions): string {
    return plaintextString(decryptNow(this.#keyList, token, options))
  }

  /**
   * The time a token was made, in seconds since the epoch, after checking its HMAC (not
   * decrypting it). Throws {@link InvalidTokenError} for a token this key did not make.
   *
   * @example
   * ```ts
   * new Date(fernet.extractTimestamp(token) * 1000)
   * ```
   */
  extractTimestamp(token: FernetToken): number {
    return authenticTimestamp(this.#keyList, token)
  }
}
