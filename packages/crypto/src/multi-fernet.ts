import { InvalidTokenError } from './errors/invalid-token-error'
import type { Fernet, FernetDecryptOptions, FernetKey, FernetToken } from './fernet'
import {
  authenticTimestamp,
  checkTime,
  decodeToken,
  decryptAt,
  decryptNow,
  keysOfInstance,
  nowSeconds,
  openData,
  parseKeyList,
  plaintextBytes,
  plaintextString,
  randomIv,
  refuseToken,
  sealToken,
  timestampBytes,
  type FernetKeys,
} from './_internal/fernet-token'

/**
 * Several Fernet keys for key rotation, as Python's `cryptography.fernet.MultiFernet`:
 * encrypts with the first key, decrypts with any of them, and {@link MultiFernet.rotate}
 * re-encrypts old tokens under the first key keeping their timestamp.
 *
 * @example
 * ```ts
 * const multi = new MultiFernet([newKey, oldKey])
 * const fresh = multi.rotate(tokenMadeWithOldKey) // now readable with newKey alone
 * ```
 */
export class MultiFernet {
  readonly #keys: readonly FernetKeys[]

  /**
   * @param fernets - Fernet instances or keys, newest first; the first one encrypts.
   * @throws {@link InvalidKeyError} when the list is empty or a key is not valid.
   */
  constructor(fernets: readonly (Fernet | FernetKey)[]) {
    this.#keys = parseKeyList(fernets)
    keysOfInstance.set(this, this.#keys)
  }

  /**
   * Encrypts with the first key, stamped with the current time.
   *
   * @example
   * ```ts
   * const token = multi.encrypt('hello')
   * ```
   */
  encrypt(data: string | Uint8Array): string {
    return sealToken(this.#keys[0] as FernetKeys, plaintextBytes(data), nowSeconds(), randomIv())
  }

  /**
   * Encrypts with the first key at a given time (seconds since the epoch).
   *
   * @example
   * ```ts
   * multi.encryptAtTime('hello', 1767225600)
   * ```
   */
  encryptAtTime(data: string | Uint8Array, time: number): string {
    const bytes = plaintextBytes(data)
    return sealToken(this.#keys[0] as FernetKeys, bytes, checkTime('time', time), randomIv())
  }

  /**
   * Decrypts a token made with any of the keys. Throws {@link InvalidTokenError} when none fits.
   *
   * @example
   * ```ts
   * const bytes = multi.decrypt(token, { ttl: 86400 })
   * ```
   */
  decrypt(token: FernetToken, options?: FernetDecryptOptions): Uint8Array {
    return decryptNow(this.#keys, token, options)
  }

  /**
   * Decrypts as if the time were `time`, with a `ttl` in seconds (Python's `decrypt_at_time`).
   *
   * @example
   * ```ts
   * multi.decryptAtTime(token, 60, 1767225630)
   * ```
   */
  decryptAtTime(token: FernetToken, ttl: number, time: number): Uint8Array {
    return decryptAt(this.#keys, token, ttl, time)
  }

  /**
   * Decrypts a token whose plaintext is UTF-8 text.
   *
   * @example
   * ```ts
   * multi.decryptToString(token) // 'hello'
   * ```
   */
  decryptToString(token: FernetToken, options?: FernetDecryptOptions): string {
    return plaintextString(decryptNow(this.#keys, token, options))
  }

  /**
   * Re-encrypts a token made with any of the keys under the first key, keeping its original
   * timestamp (so a ttl still counts from when it was first made), with a fresh IV.
   *
   * @example
   * ```ts
   * const rotated = new MultiFernet([newKey, oldKey]).rotate(oldToken)
   * new Fernet(newKey).decrypt(rotated)
   * ```
   */
  rotate(token: FernetToken): string {
    const data = decodeToken(token) ?? refuseToken()
    const plaintext = openData(this.#keys, data) ?? refuseToken()
    return sealToken(this.#keys[0] as FernetKeys, plaintext, timestampBytes(data), randomIv())
  }

  /**
   * The time a token was made (seconds since the epoch), once its HMAC matches one of the keys.
   *
   * @example
   * ```ts
   * multi.extractTimestamp(token) // 1767225600
   * ```
   */
  extractTimestamp(token: FernetToken): number {
    return authenticTimestamp(this.#keys, token)
  }
}
