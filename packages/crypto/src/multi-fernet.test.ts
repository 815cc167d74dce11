import { createCipheriv, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isPytrackError } from '@pytrack/core'
import { loadVectors } from '../../../test-utils/vectors'
import { Fernet, InvalidKeyError, InvalidTokenError, MultiFernet } from './index'
import { thrownBy as thrown } from '../../../test-utils/errors'

interface InteropCase {
  desc: string
  key: string
  token: string
  plaintext_utf8: string
  token_timestamp: number
}

const oldKey = Fernet.generateKey()
const newKey = Fernet.generateKey()
const otherKey = Fernet.generateKey()

describe('MultiFernet', () => {
  it('encrypts with the first key and decrypts with any', () => {
    const multi = new MultiFernet([new Fernet(newKey), oldKey])
    const token = multi.encrypt('hello')
    expect(new Fernet(newKey).decryptToString(token)).toBe('hello')
    expect(() => new Fernet(oldKey).decrypt(token)).toThrow(InvalidTokenError)
    expect(multi.decryptToString(new Fernet(oldKey).encrypt('from old'))).toBe('from old')
    expect(multi.decryptToString(new Fernet(newKey).encrypt('from new'), { ttl: 60 })).toBe('from new')
  })

  it('refuses tokens of keys it does not hold, with the typed error', () => {
    const multi = new MultiFernet([newKey, oldKey])
    const foreign = new Fernet(otherKey).encrypt('x')
    for (const fn of [
      () => multi.decrypt(foreign),
      () => multi.rotate(foreign),
      () => multi.extractTimestamp(foreign),
      () => multi.decrypt(''),
      () => multi.decryptAtTime(multi.encryptAtTime('x', 1000), 60, 2000),
    ]) {
      expect(isPytrackError(thrown(fn), 'ERR_PYTRACK_INVALID_TOKEN')).toBe(true)
    }
  })

  it('rotates a token to the first key, keeping its original timestamp', () => {
    const madeAt = 1767225600
    const old = new Fernet(oldKey).encryptAtTime('rotate me', madeAt)
    const multi = new MultiFernet([newKey, oldKey])
    const rotated = multi.rotate(old)
    expect(rotated).not.toBe(old)
    const fresh = new Fernet(newKey)
    expect(fresh.decryptToString(rotated)).toBe('rotate me')
    expect(fresh.extractTimestamp(rotated)).toBe(madeAt)
    expect(multi.extractTimestamp(old)).toBe(madeAt)
    // The ttl still counts from when the token was first made.
    expect(() => fresh.decryptAtTime(rotated, 60, madeAt + 61)).toThrow(InvalidTokenError)
    // Once every old token is rotated, the old key can go.
    expect(new MultiFernet([newKey]).decryptToString(rotated)).toBe('rotate me')
  })

  it('keeps a timestamp past 2^53 seconds exactly when rotating (Python allows 64 bits)', () => {
    // A token made by hand to the spec, as Python's _encrypt_from_parts would make it.
    const key = Buffer.from(oldKey, 'base64url')
    const time = Buffer.from('0100000000000001', 'hex') // 2^56 + 1
    const iv = Buffer.alloc(16, 7)
    const cipher = createCipheriv('aes-128-cbc', key.subarray(16), iv)
    const body = Buffer.concat([Buffer.from([0x80]), time, iv, cipher.update('far future'), cipher.final()])
    const mac = createHmac('sha256', key.subarray(0, 16)).update(body).digest()
    const unpadded = Buffer.concat([body, mac]).toString('base64url')
    const padded = unpadded.padEnd(Math.ceil(unpadded.length / 4) * 4, '=')
    const rotated = new MultiFernet([newKey, oldKey]).rotate(padded)
    expect(new Fernet(newKey).decryptToString(rotated)).toBe('far future')
    expect(Buffer.from(rotated, 'base64url').subarray(1, 9).equals(time)).toBe(true)
  })

  it('rotates and decrypts any bytes with any of its keys (property)', () => {
    const keys = [newKey, oldKey, otherKey]
    const multi = new MultiFernet(keys)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 ** 34 }), (bytes, which, time) => {
        const token = new Fernet(keys[which] as string).encryptAtTime(bytes, time)
        expect(Buffer.from(multi.decrypt(token)).equals(Buffer.from(bytes))).toBe(true)
        const rotated = multi.rotate(token)
        expect(Buffer.from(new Fernet(newKey).decrypt(rotated)).equals(Buffer.from(bytes))).toBe(true)
        expect(multi.extractTimestamp(rotated)).toBe(time)
      }),
      { numRuns: 100 },
    )
  })

  it('decrypts tokens made by Python with any key in the list', () => {
    for (const { data } of loadVectors<InteropCase[]>('fernet/python-interop.json')) {
      const multi = new MultiFernet([otherKey, ...data.map((c) => c.key)])
      for (const c of data) {
        expect(multi.decryptToString(c.token)).toBe(c.plaintext_utf8)
        expect(multi.extractTimestamp(c.token)).toBe(c.token_timestamp)
        expect(new Fernet(otherKey).decryptToString(multi.rotate(c.token))).toBe(c.plaintext_utf8)
      }
    }
  })

  it('refuses an empty or bad key list with InvalidKeyError', () => {
    expect(thrown(() => new MultiFernet([]))).toBeInstanceOf(InvalidKeyError)
    expect(thrown(() => new MultiFernet(newKey as never))).toBeInstanceOf(InvalidKeyError)
    expect(thrown(() => new MultiFernet([newKey, 'short=']))).toBeInstanceOf(InvalidKeyError)
    expect(thrown(() => new MultiFernet([newKey, {} as never]))).toBeInstanceOf(InvalidKeyError)
  })
})
