// The Fernet token format (version 0x80), shared by Fernet, MultiFernet and fernetCodec.
// Keys are split and copied once per instance; every hot path works on Buffers and copies the
// ciphertext only once. Opening a token makes no crypto object: each key keeps one AES block
// decipher and computes its HMAC with two one-shot hashes (see signerFor and decrypterFor).
import * as nodeCrypto from 'node:crypto'
import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual, type Decipher } from 'node:crypto'
import { InvalidArgumentError, describeValue } from '@pytrack/core'
import { InvalidKeyError } from '../errors/invalid-key-error'
import { InvalidTokenError } from '../errors/invalid-token-error'

/** The two halves of a Fernet key: the first 16 bytes sign, the last 16 encrypt. */
export interface FernetKeys {
  readonly encryption: Buffer
  /** HMAC-SHA256 with the signing key. */
  readonly signer: Signer
  /** AES-128-CBC decryption of whole blocks with the encryption key; the padding is left on. */
  readonly decrypt: (iv: Uint8Array, ciphertext: Uint8Array) => Buffer
}

const VERSION = 0x80
const HEADER = 25 // version (1) + timestamp (8) + IV (16)
const MAC = 32
const BLOCK = 16
const MIN_BYTES = HEADER + BLOCK + MAC
/** The shortest token (73 bytes) in padded base64: 100 characters. */
const MIN_CHARS = 100
/** 0x80 in the first six bits encodes as 'g'. */
const FIRST_CHAR = 0x67
/** Python's cryptography allows this much clock skew (seconds) when a ttl is given. */
export const MAX_CLOCK_SKEW = 60

const PADDING = ['', '==', '='] as const
// Python's urlsafe_b64decode accepts either alphabet in keys; padding is required.
const KEY_TEXT = /^[A-Za-z0-9_\-+/]{43}=$/
// Tokens: the URL-safe alphabet with '=' padding, as Python writes them (and requires).
const TOKEN_TEXT = /^[A-Za-z0-9_-]+={0,2}$/

/** Python's `int(time.time())`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** URL-safe base64 with `=` padding, as Python's `base64.urlsafe_b64encode`. */
export function base64UrlPadded(bytes: Buffer): string {
  return bytes.toString('base64url') + PADDING[bytes.length % 3]
}

/** Reads a key given as padded URL-safe base64 text (Python's form) or as 32 raw bytes. */
export function parseFernetKey(key: unknown): FernetKeys {
  let bytes: Buffer
  if (typeof key === 'string') {
    const text = key.trim()
    if (!KEY_TEXT.test(text)) {
      throw new InvalidKeyError(
        `a Fernet key must be 32 bytes in URL-safe base64: 44 characters ending in "=", as Fernet.generateKey() returns; got ${key.length} characters${text.length === 44 ? ' that are not base64' : ''}`,
      )
    }
    bytes = Buffer.from(text, 'base64')
  } else if (key instanceof Uint8Array) {
    if (key.length !== 32) {
      throw new InvalidKeyError(
        `a Fernet key given as bytes must be the 32 raw key bytes, not ${key.length}; give the 44-character URL-safe base64 text as a string`,
      )
    }
    bytes = Buffer.from(key)
  } else {
    throw new InvalidKeyError(
      `a Fernet key must be a string (URL-safe base64, as Fernet.generateKey() returns) or 32 bytes, not ${describeValue(key)}`,
    )
  }
  const encryption = bytes.subarray(16, 32)
  return Object.freeze({ encryption, signer: signerFor(bytes.subarray(0, 16)), decrypt: decrypterFor(encryption) })
}

export type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'binary') => string
// crypto.hash is Node 20.12+ (and not on every runtime's node:crypto): looked up, not imported.
const oneShotHash = (nodeCrypto as { hash?: unknown }).hash as OneShotHash | undefined
const HASH_BLOCK = 64
const DIGEST = 32

/** HMAC-SHA256 with one key: `sign` makes a tag, `verify` compares one in constant time. */
export interface Signer {
  sign(data: Uint8Array): Buffer
  verify(data: Uint8Array, mac: Uint8Array): boolean
}

/**
 * HMAC-SHA256 (RFC 2104) as two one-shot hashes over buffers kept per key, with their
 * digests as Latin-1 text written into those buffers: a Hmac object per token, or a Buffer
 * per digest, and their clean-up by the garbage collector cost more than the hashing. Where
 * crypto.hash is missing, createHmac.
 */
export function signerFor(key: Buffer, hash: OneShotHash | undefined = oneShotHash): Signer {
  if (typeof hash !== 'function') {
    const sign = (data: Uint8Array): Buffer => createHmac('sha256', key).update(data).digest()
    return { sign, verify: (data, mac) => mac.length === DIGEST && timingSafeEqual(sign(data), mac) }
  }
  // (key ^ ipad) ‖ message, and (key ^ opad) ‖ inner digest; the message part grows as needed.
  let inner = Buffer.alloc(0)
  const outer = Buffer.alloc(HASH_BLOCK + DIGEST, 0x5c)
  for (let i = 0; i < key.length; i++) outer[i] = 0x5c ^ (key[i] as number)
  const expected = Buffer.alloc(DIGEST)
  const digest = (data: Uint8Array): string => {
    const length = HASH_BLOCK + data.length
    if (inner.length < length) {
      inner = Buffer.alloc(Math.max(length, 512), 0x36)
      for (let i = 0; i < key.length; i++) inner[i] = 0x36 ^ (key[i] as number)
    }
    inner.set(data, HASH_BLOCK)
    outer.write(hash('sha256', inner.subarray(0, length), 'binary'), HASH_BLOCK, 'latin1')
    return hash('sha256', outer, 'binary')
  }
  return {
    sign: (data) => Buffer.from(digest(data), 'latin1'),
    verify(data, mac) {
      expected.write(digest(data), 0, 'latin1')
      return mac.length === DIGEST && timingSafeEqual(expected, mac)
    },
  }
}

/**
 * CBC decryption from one AES block decipher (ECB, no padding) made once per key: each
 * plaintext block is the block decryption of its ciphertext block XOR the ciphertext block
 * before it (the IV for the first). A Decipheriv per token costs more than the decryption; the
 * blocks come back as Latin-1 text, copied into a pooled Buffer (no Buffer of its own per
 * token). A runtime without a usable ECB decipher gets a Decipheriv per token.
 */
export function decrypterFor(key: Buffer, makeBlocks: (key: Buffer) => Decipher | null = blockDecipher): (iv: Uint8Array, ciphertext: Uint8Array) => Buffer {
  // undefined: not made yet (most keys never open a token); null: none on this runtime.
  let blocks: Decipher | null | undefined
  return (iv, ciphertext) => {
    if (blocks === undefined) blocks = makeBlocks(key)
    const text = blocks?.update(ciphertext, undefined, 'binary')
    if (text === undefined || text.length !== ciphertext.length) {
      blocks = null
      const decipher = createDecipheriv('aes-128-cbc', key, iv)
      decipher.setAutoPadding(false)
      return decipher.update(ciphertext)
    }
    const out = Buffer.from(text, 'latin1')
    for (let i = out.length - 1; i >= BLOCK; i--) out[i] = (out[i] as number) ^ (ciphertext[i - BLOCK] as number)
    for (let i = 0; i < BLOCK; i++) out[i] = (out[i] as number) ^ (iv[i] as number)
    return out
  }
}

function blockDecipher(key: Buffer): Decipher | null {
  try {
    const decipher = createDecipheriv('aes-128-ecb', key, null)
    decipher.setAutoPadding(false)
    // Each update must give back every block at once, keeping nothing for the next one.
    return decipher.update(Buffer.alloc(2 * BLOCK)).length === 2 * BLOCK ? decipher : null
  } catch {
    return null
  }
}

/** The keys of each Fernet and MultiFernet instance, for the classes and codecs of this package only. */
export const keysOfInstance: WeakMap<object, readonly FernetKeys[]> = new WeakMap()

/** The keys of a Fernet (or MultiFernet) instance, or of a key given as text or bytes. */
export function fernetKeysOf(item: unknown): readonly FernetKeys[] {
  if (typeof item === 'object' && item !== null && !(item instanceof Uint8Array)) {
    const keys = keysOfInstance.get(item)
    if (keys) return keys
  }
  return [parseFernetKey(item)]
}

/** Reads a list of keys, Fernets or MultiFernets; the first key encrypts. */
export function parseKeyList(items: readonly unknown[]): readonly FernetKeys[] {
  if (!Array.isArray(items) || items.length === 0) {
    throw new InvalidKeyError('give at least one Fernet key (the first one encrypts, any of them decrypts)')
  }
  return Object.freeze(items.flatMap(fernetKeysOf))
}

/** Makes the bytes to encrypt from a string (UTF-8) or bytes. */
export function plaintextBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof Uint8Array) return data
  throw new InvalidArgumentError(
    `Fernet encrypts a string or bytes (Uint8Array/Buffer), not ${describeValue(data)}`,
  )
}

/** Checks a time in seconds since the epoch (Python's `current_time`). */
export function checkTime(name: string, time: unknown): number {
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw new InvalidArgumentError(`${name} must be a whole number of seconds since the epoch (≥ 0); got ${describeValue(time)}`)
  }
  return time
}

/** Checks a time-to-live in seconds. */
function checkTtl(ttl: unknown): number | undefined {
  if (ttl === undefined || ttl === null) return undefined
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new InvalidArgumentError(`ttl must be a finite number of seconds (≥ 0); got ${describeValue(ttl)}`)
  }
  return ttl
}

let ivPool = Buffer.allocUnsafe(0)
let ivOffset = 0

/** 16 fresh random bytes, taken from a pool refilled 256 IVs at a time (IVs are public). */
export function randomIv(): Buffer {
  if (ivOffset === ivPool.length) {
    // A new pool each time: earlier IVs handed out stay unchanged.
    ivPool = randomFillSync(Buffer.allocUnsafe(BLOCK * 256))
    ivOffset = 0
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + BLOCK)
  ivOffset += BLOCK
  return iv
}

/**
 * Builds a token: version ‖ timestamp ‖ IV ‖ AES-128-CBC(PKCS7(plaintext)) ‖ HMAC-SHA256.
 * `time` is seconds, or the 8 timestamp bytes of another token (kept exactly, even past 2^53).
 */
export function sealToken(keys: FernetKeys, plaintext: Uint8Array, time: number | Uint8Array, iv: Uint8Array): string {
  const cipher = createCipheriv('aes-128-cbc', keys.encryption, iv)
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  const signed = HEADER + head.length + tail.length
  const token = Buffer.allocUnsafe(signed + MAC)
  token[0] = VERSION
  if (typeof time === 'number') {
    token.writeUInt32BE(Math.floor(time / 0x1_0000_0000), 1)
    token.writeUInt32BE(time >>> 0, 5)
  } else {
    token.set(time.subarray(0, 8), 1)
  }
  token.set(iv, 9)
  token.set(head, HEADER)
  token.set(tail, HEADER + head.length)
  token.set(keys.signer.sign(token.subarray(0, signed)), signed)
  return base64UrlPadded(token)
}

/**
 * Decodes a token's base64 and checks its public shape (length, version). Undefined when it
 * cannot be a Fernet token; nothing secret is involved yet, so failing fast leaks nothing.
 */
export function decodeToken(token: unknown): Buffer | undefined {
  let text: string
  if (typeof token === 'string') text = token
  else if (token instanceof Uint8Array) text = Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('latin1')
  else {
    throw new InvalidArgumentError(
      `a Fernet token must be a string or bytes, not ${describeValue(token)}`,
    )
  }
  const length = text.length
  if (length < MIN_CHARS || length % 4 !== 0 || text.charCodeAt(0) !== FIRST_CHAR || !TOKEN_TEXT.test(text)) {
    return undefined
  }
  const data = Buffer.from(text, 'base64url')
  if (data.length < MIN_BYTES || (data.length - HEADER - MAC) % BLOCK !== 0 || data[0] !== VERSION) return undefined
  return data
}

/** The 8 bytes of a token's timestamp, as they are. */
export function timestampBytes(data: Buffer): Buffer {
  return data.subarray(1, 9)
}

/** The token's timestamp: a 64-bit big-endian unsigned integer (exact up to 2^53). */
export function timestampOf(data: Buffer): number {
  return data.readUInt32BE(1) * 0x1_0000_0000 + data.readUInt32BE(5)
}

/** Python's ttl rule: expired only when `timestamp + ttl < now`; refused when `now + 60 < timestamp`. */
function isWithinTtl(timestamp: number, ttl: number, now: number): boolean {
  return !(timestamp + ttl < now) && !(now + MAX_CLOCK_SKEW < timestamp)
}

/** Recomputes the HMAC and compares it in constant time. */
function verifySignature(keys: FernetKeys, data: Buffer): boolean {
  const signed = data.length - MAC
  return keys.signer.verify(data.subarray(0, signed), data.subarray(signed))
}

/** Decrypts and unpads a token whose signature was verified; undefined on bad padding. */
function decryptVerified(keys: FernetKeys, data: Buffer): Buffer | undefined {
  // Unpadding by hand returns the plaintext in one buffer; there is no oracle to fear
  // because the HMAC was checked first.
  const padded = keys.decrypt(data.subarray(9, HEADER), data.subarray(HEADER, data.length - MAC))
  const length = padded.length
  const pad = padded[length - 1] ?? 0
  if (pad < 1 || pad > BLOCK) return undefined
  for (let i = length - pad; i < length - 1; i++) if (padded[i] !== pad) return undefined
  return padded.subarray(0, length - pad)
}

/** Throws the one generic error every refused token gets, so no message says which check failed. */
export function refuseToken(): never {
  throw new InvalidTokenError()
}

/** The decrypt path of Fernet and MultiFernet: shape, ttl (before the HMAC, as Python), HMAC, AES. */
function decryptToken(keyList: readonly FernetKeys[], token: unknown, ttl: number | undefined, now: number): Buffer {
  const data = decodeToken(token) ?? refuseToken()
  if (ttl !== undefined && !isWithinTtl(timestampOf(data), ttl, now)) refuseToken()
  return openData(keyList, data) ?? refuseToken()
}

/** `decrypt(token, { ttl })` of Fernet and MultiFernet: an optional ttl, counted from now. */
export function decryptNow(keyList: readonly FernetKeys[], token: unknown, options: { ttl?: unknown } | undefined): Buffer {
  const ttl = checkTtl(options?.ttl)
  return decryptToken(keyList, token, ttl, ttl === undefined ? 0 : nowSeconds())
}

/** `decryptAtTime(token, ttl, time)` of Fernet and MultiFernet: Python's `decrypt_at_time`, the ttl required. */
export function decryptAt(keyList: readonly FernetKeys[], token: unknown, ttl: unknown, time: unknown): Buffer {
  const checked = checkTtl(ttl)
  if (checked === undefined) throw new InvalidArgumentError('decryptAtTime needs a ttl; use decrypt() for none')
  return decryptToken(keyList, token, checked, checkTime('time', time))
}

/** The timestamp of a token that one of the keys signed. */
export function authenticTimestamp(keyList: readonly FernetKeys[], token: unknown): number {
  const data = decodeToken(token) ?? refuseToken()
  if (!keyList.some((keys) => verifySignature(keys, data))) refuseToken()
  return timestampOf(data)
}

/** Verifies then decrypts with the first key whose signature matches (MultiFernet's rule). */
export function openData(keyList: readonly FernetKeys[], data: Buffer): Buffer | undefined {
  for (const keys of keyList) {
    if (!verifySignature(keys, data)) continue
    const plaintext = decryptVerified(keys, data)
    if (plaintext !== undefined) return plaintext
  }
  return undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Strict UTF-8 (Python's `bytes.decode('utf-8')`), keeping a leading BOM; undefined on bad bytes. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** Strict UTF-8 of a decrypted token. */
export function plaintextString(bytes: Buffer): string {
  const text = decodeUtf8(bytes)
  if (text === undefined) {
    throw new InvalidTokenError('the Fernet token is authentic but its plaintext is not UTF-8 text; use decrypt() to get the bytes')
  }
  return text
}
