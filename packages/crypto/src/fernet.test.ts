// Fernet against the specification's own vectors (github.com/fernet/spec) and tokens made by
// Python's cryptography (fixtures/vectors/fernet, and ../shared when present).
import { spawnSync } from 'node:child_process'
import { createCipheriv, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isPytrackError } from '@pytrack/core'
import { loadVectors, type FernetInteropCase } from '../../../test-utils/vectors'
import { Fernet, InvalidKeyError, InvalidTokenError, fernetCodec, signedCodec } from './index'
import { thrownBy as thrown } from '../../../test-utils/errors'

interface GenerateCase {
  token: string
  now: string
  iv: number[]
  src: string
  secret: string
}
interface VerifyCase {
  token: string
  now: string
  ttl_sec: number
  src: string
  secret: string
}
interface InvalidCase {
  desc: string
  token: string
  now: string
  ttl_sec: number
  secret: string
}

const seconds = (iso: string): number => Date.parse(iso) / 1000

function expectInvalidToken(fn: () => unknown): void {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(InvalidTokenError)
  expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_TOKEN')).toBe(true)
}

const GENERIC_MESSAGE = new InvalidTokenError().message

for (const { source, data } of loadVectors<GenerateCase[]>('fernet/generate.json')) {
  describe(`Fernet spec generate.json (${source})`, () => {
    it.each(data.map((c) => [c.src, c] as const))('makes the exact token for %j', (_, c) => {
      const fernet = new Fernet(c.secret)
      const token = fernet.encryptAtTime(c.src, seconds(c.now), Uint8Array.from(c.iv))
      expect(token).toBe(c.token)
      expect(fernet.decryptToString(token)).toBe(c.src)
      expect(fernet.extractTimestamp(token)).toBe(seconds(c.now))
    })
  })
}

for (const { source, data } of loadVectors<VerifyCase[]>('fernet/verify.json')) {
  describe(`Fernet spec verify.json (${source})`, () => {
    it.each(data.map((c) => [c.src, c] as const))('decrypts the token of %j', (_, c) => {
      const fernet = new Fernet(c.secret)
      const bytes = fernet.decryptAtTime(c.token, c.ttl_sec, seconds(c.now))
      expect(Buffer.from(bytes).toString('utf8')).toBe(c.src)
      expect(fernet.decryptToString(c.token)).toBe(c.src)
    })
  })
}

for (const { source, data } of loadVectors<InvalidCase[]>('fernet/invalid.json')) {
  describe(`Fernet spec invalid.json (${source})`, () => {
    it('has cases', () => {
      expect(data.length).toBeGreaterThanOrEqual(8)
    })
    it.each(data.map((c) => [c.desc, c] as const))('refuses: %s, with the one generic error', (_, c) => {
      const fernet = new Fernet(c.secret)
      const error = thrown(() => fernet.decryptAtTime(c.token, c.ttl_sec, seconds(c.now)))
      expect(error).toBeInstanceOf(InvalidTokenError)
      expect((error as InvalidTokenError).code).toBe('ERR_PYTRACK_INVALID_TOKEN')
      // No hint which check failed: every refusal reads the same.
      expect((error as Error).message).toBe(GENERIC_MESSAGE)
    })
  })
}

for (const { source, data } of loadVectors<FernetInteropCase[]>('fernet/python-interop.json')) {
  describe(`tokens made by Python's cryptography (${source})`, () => {
    it('has cases', () => {
      expect(data.length).toBeGreaterThan(5)
    })
    const cases = data.map((c) => [c.desc, c] as const)

    it.each(cases)('%s: decrypts within the ttl', (_, c) => {
      const fernet = new Fernet(c.key)
      const bytes = fernet.decryptAtTime(c.token, c.ttl_sec, c.now_unix_seconds_for_ttl_check)
      expect(Buffer.from(bytes).equals(Buffer.from(c.plaintext_utf8, 'utf8'))).toBe(true)
      expect(fernet.decryptToString(c.token)).toBe(c.plaintext_utf8)
    })

    it.each(cases)('%s: refuses it once expired', (_, c) => {
      const fernet = new Fernet(c.key)
      expectInvalidToken(() => fernet.decryptAtTime(c.token, c.ttl_sec, c.expired_at_unix_seconds))
    })

    it.each(cases)('%s: reads the timestamp', (_, c) => {
      expect(new Fernet(c.key).extractTimestamp(c.token)).toBe(c.token_timestamp)
    })

    it.each(cases)('%s: re-encrypts to the identical token with the same IV and time', (_, c) => {
      const fernet = new Fernet(c.key)
      const iv = Buffer.from(c.iv_hex, 'hex')
      expect(fernet.encryptAtTime(c.plaintext_utf8, c.token_timestamp, iv)).toBe(c.token)
      expect(fernet.encryptAtTime(Buffer.from(c.plaintext_utf8, 'utf8'), c.token_timestamp, iv)).toBe(c.token)
    })
  })
}

// The spec's generate vector, for the edge cases below.
const SECRET = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='
const NOW = 499162800
const IV = Uint8Array.from({ length: 16 }, (_, i) => i)
const fernet = new Fernet(SECRET)
const TOKEN = fernet.encryptAtTime('hello', NOW, IV)

/** Rebuilds a token with `edit` applied to its bytes (HMAC left as it was unless resigned). */
function editBytes(token: string, edit: (bytes: Buffer) => Buffer): string {
  const bytes = edit(Buffer.from(token, 'base64url'))
  return bytes.toString('base64url') + ['', '==', '='][bytes.length % 3]
}

describe("Python's traps", () => {
  it('refuses a token without its "=" padding, as Python does', () => {
    expect(TOKEN.endsWith('==')).toBe(true)
    expectInvalidToken(() => fernet.decrypt(TOKEN.replace(/=+$/, '')))
    expectInvalidToken(() => fernet.decrypt(`${TOKEN}=`))
  })

  it('expires only when timestamp + ttl < now', () => {
    expect(fernet.decryptAtTime(TOKEN, 60, NOW + 60).toString()).toBe('hello')
    expectInvalidToken(() => fernet.decryptAtTime(TOKEN, 60, NOW + 61))
    expect(fernet.decryptAtTime(TOKEN, 0, NOW).toString()).toBe('hello')
    expectInvalidToken(() => fernet.decryptAtTime(TOKEN, 0, NOW + 1))
  })

  it('refuses far-future tokens (now + 60 < timestamp) only when a ttl is given', () => {
    expect(fernet.decryptAtTime(TOKEN, 60, NOW - 60).toString()).toBe('hello')
    expectInvalidToken(() => fernet.decryptAtTime(TOKEN, 60, NOW - 61))
    // Without a ttl the time is not looked at: a token from 1985 or 2100 decrypts.
    const future = fernet.encryptAtTime('later', 4102444800)
    expect(fernet.decryptToString(future)).toBe('later')
    expectInvalidToken(() => fernet.decrypt(future, { ttl: 3600 }))
  })

  it('reads the timestamp as a 64-bit big-endian unsigned integer, above 2^32 too', () => {
    const time = 2 ** 32 + 12345
    const token = fernet.encryptAtTime('x', time, IV)
    expect(Buffer.from(token, 'base64url').subarray(1, 9).toString('hex')).toBe('0000000100003039')
    expect(fernet.extractTimestamp(token)).toBe(time)
    expect(fernet.decryptAtTime(token, 10, time + 10).toString()).toBe('x')
  })

  it('keeps a leading BOM, and NUL bytes, in the plaintext', () => {
    const text = '\uFEFFhello\u0000world'
    expect(fernet.decryptToString(fernet.encrypt(text))).toBe(text)
    expect([...fernet.decrypt(fernet.encrypt(text)).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })

  it('signs with the first 16 key bytes and encrypts with the last 16', () => {
    const key = Buffer.from(SECRET, 'base64url')
    const swapped = new Fernet(Buffer.concat([key.subarray(16), key.subarray(0, 16)]))
    expectInvalidToken(() => swapped.decrypt(TOKEN))
    expect(new Fernet(Uint8Array.from(key)).encryptAtTime('hello', NOW, IV)).toBe(TOKEN)
  })
})

describe('bad tokens get the typed error and nothing else', () => {
  const cases: [string, () => unknown][] = [
    ['empty', () => fernet.decrypt('')],
    ['truncated', () => fernet.decrypt(TOKEN.slice(0, 60))],
    ['truncated by one block', () => fernet.decrypt(editBytes(TOKEN, (b) => Buffer.concat([b.subarray(0, 25), b.subarray(41)])))],
    ['tampered ciphertext', () => fernet.decrypt(editBytes(TOKEN, (b) => ((b[30] = (b[30] ?? 0) ^ 1), b)))],
    ['tampered timestamp', () => fernet.decrypt(editBytes(TOKEN, (b) => ((b[8] = (b[8] ?? 0) ^ 1), b)))],
    ['tampered HMAC', () => fernet.decrypt(editBytes(TOKEN, (b) => ((b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1), b)))],
    ['wrong version', () => fernet.decrypt(editBytes(TOKEN, (b) => ((b[0] = 0x81), b)))],
    ['wrong key', () => new Fernet(Fernet.generateKey()).decrypt(TOKEN)],
    ['standard base64 alphabet', () => fernet.decrypt(TOKEN.replace(/-/g, '+').replace(/_/g, '/'))],
    ['white space inside', () => fernet.decrypt(`${TOKEN.slice(0, 40)} ${TOKEN.slice(40)}`)],
    ['expired', () => fernet.decryptAtTime(TOKEN, 60, NOW + 3600)],
    ['far-future', () => fernet.decryptAtTime(fernet.encryptAtTime('x', NOW + 3600), 60, NOW)],
    ['expired, via decrypt and the clock', () => fernet.decrypt(TOKEN, { ttl: 60 })],
    ['extractTimestamp of a tampered token', () => fernet.extractTimestamp(editBytes(TOKEN, (b) => ((b[30] = (b[30] ?? 0) ^ 1), b)))],
    ['bytes token, tampered', () => fernet.decrypt(Buffer.from(TOKEN.replace('g', 'h'), 'latin1'))],
  ]
  it.each(cases)('%s', (_, fn) => expectInvalidToken(fn))

  it('accepts the token as ASCII bytes, as Python does', () => {
    expect(fernet.decrypt(Buffer.from(TOKEN, 'latin1')).toString()).toBe('hello')
  })

  it('refuses an authentic token with bad padding inside (the spec\'s "incorrect IV")', () => {
    // Resign a token whose plaintext padding is wrong: only then does the padding check run.
    const key = Buffer.from(SECRET, 'base64url')
    const cipher = createCipheriv('aes-128-cbc', key.subarray(16), IV).setAutoPadding(false)
    const body = Buffer.concat([Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 1]), IV, cipher.update(Buffer.alloc(16, 0x11)), cipher.final()])
    const token = editBytes('', () => Buffer.concat([body, createHmac('sha256', key.subarray(0, 16)).update(body).digest()]))
    expectInvalidToken(() => fernet.decrypt(token))
    expect(fernet.extractTimestamp(token)).toBe(1)
  })

  it('refuses a non-string token with InvalidArgumentError', () => {
    for (const token of [undefined, null, 42, {}, ['a']] as unknown[]) {
      expect(isPytrackError(thrown(() => fernet.decrypt(token as string)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('random strings and bytes: the typed error, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.base64String({ maxLength: 200 }), fc.uint8Array({ maxLength: 120 })), (input) => {
        expectInvalidToken(() => fernet.decrypt(input))
      }),
      { numRuns: 500 },
    )
  })

  it('flipping any bit of a token gets it refused', () => {
    const length = Buffer.from(TOKEN, 'base64url').length
    fc.assert(
      fc.property(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 0, max: 7 }), (index, bit) => {
        const edited = editBytes(TOKEN, (b) => ((b[index] = (b[index] ?? 0) ^ (1 << bit)), b))
        expectInvalidToken(() => fernet.decrypt(edited))
      }),
    )
  })
})

describe('keys', () => {
  it('generateKey makes 32 random bytes in padded URL-safe base64', () => {
    const keys = new Set(Array.from({ length: 20 }, () => Fernet.generateKey()))
    expect(keys.size).toBe(20)
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/)
      expect(Buffer.from(key, 'base64url').length).toBe(32)
      expect(new Fernet(key).decryptToString(new Fernet(key).encrypt('ok'))).toBe('ok')
    }
  })

  it('accepts the standard base64 alphabet and surrounding white space, as Python does', () => {
    const standard = SECRET.replace(/-/g, '+').replace(/_/g, '/')
    expect(new Fernet(standard).encryptAtTime('hello', NOW, IV)).toBe(TOKEN)
    expect(new Fernet(`  ${SECRET}\n`).encryptAtTime('hello', NOW, IV)).toBe(TOKEN)
  })

  const bad: [string, unknown][] = [
    ['empty', ''],
    ['too short', SECRET.slice(0, 40) + '='],
    ['without padding', SECRET.slice(0, 43)],
    ['too long', `${SECRET.slice(0, 43)}AAAA=`],
    ['not base64', `${'%'.repeat(43)}=`],
    ['16 bytes of base64', Buffer.alloc(16).toString('base64url') + '=='],
    ['31 raw bytes', new Uint8Array(31)],
    ['the 44-byte text as bytes', Buffer.from(SECRET)],
    ['a number', 42],
    ['null', null],
    ['an object', {}],
  ]
  it.each(bad)('refuses a key that is %s with InvalidKeyError', (_, key) => {
    const error = thrown(() => new Fernet(key as string))
    expect(error).toBeInstanceOf(InvalidKeyError)
    expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_KEY')).toBe(true)
    // The message helps, and never shows the key.
    expect((error as Error).message).toMatch(/32 (raw key )?bytes/)
    if (typeof key === 'string' && key.length > 4) expect((error as Error).message).not.toContain(key)
  })
})

describe('arguments', () => {
  it('refuses what it cannot encrypt with InvalidArgumentError', () => {
    for (const fn of [
      () => fernet.encrypt(42 as never),
      () => fernet.encrypt(null as never),
      () => fernet.encryptAtTime('x', -1),
      () => fernet.encryptAtTime('x', 1.5),
      () => fernet.encryptAtTime('x', Number.NaN),
      () => fernet.encryptAtTime('x', NOW, new Uint8Array(15)),
      () => fernet.decrypt(TOKEN, { ttl: Number.NaN }),
      () => fernet.decrypt(TOKEN, { ttl: -1 }),
      () => fernet.decryptAtTime(TOKEN, undefined as never, NOW),
      () => fernet.decryptAtTime(TOKEN, 60, Number.POSITIVE_INFINITY),
      // Values String() cannot turn into text must still get the typed error.
      () => fernet.encryptAtTime('x', Object.create(null) as never),
      () => fernet.decrypt(TOKEN, { ttl: Object.create(null) as never }),
      () => fernet.decryptAtTime(TOKEN, 60, Object.create(null) as never),
      () => fernetCodec(SECRET, { maxAgeSeconds: Object.create(null) as never }),
      () => signedCodec('s'.repeat(32), { tagBytes: Object.create(null) as never }),
    ]) {
      expect(isPytrackError(thrown(fn), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('refuses an authentic token whose plaintext is not UTF-8 only in decryptToString', () => {
    const token = fernet.encrypt(new Uint8Array([0xff, 0xfe, 0x80]))
    expect([...fernet.decrypt(token)]).toEqual([0xff, 0xfe, 0x80])
    expectInvalidToken(() => fernet.decryptToString(token))
  })
})

describe('round trips', () => {
  it('bytes in, the same bytes out, at any time and with any ttl that covers it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 10_000 }),
        (bytes, time, age) => {
          const token = fernet.encryptAtTime(bytes, time)
          expect(token).toMatch(/^gAAAA[A-Za-z0-9_-]+={0,2}$/)
          expect(token.length % 4).toBe(0)
          expect(Buffer.from(fernet.decryptAtTime(token, age, time + age)).equals(Buffer.from(bytes))).toBe(true)
          expect(fernet.extractTimestamp(token)).toBe(time)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('strings in, the same strings out', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
        expect(fernet.decryptToString(fernet.encrypt(text), { ttl: 60 })).toBe(text)
      }),
    )
  })

  it('uses a fresh IV each time', () => {
    const tokens = new Set(Array.from({ length: 600 }, () => fernet.encrypt('same')))
    expect(tokens.size).toBe(600)
    const ivs = new Set([...tokens].map((t) => Buffer.from(t, 'base64url').subarray(9, 25).toString('hex')))
    expect(ivs.size).toBe(600)
  })
})

// When Python's cryptography is installed (it is not needed otherwise), hand it tokens made here.
const pythonFernet = spawnSync('python3', ['-c', 'import cryptography.fernet'], { encoding: 'utf8' }).status === 0

describe.skipIf(!pythonFernet)("Python's cryptography reads tokens made here", () => {
  it('decrypts them, with a ttl, and reads their timestamps', () => {
    const key = Fernet.generateKey()
    const here = new Fernet(key)
    const now = Math.floor(Date.now() / 1000)
    const texts = ['', 'hello', 'x'.repeat(16), '\uFEFFBOM', '日本語 😀 é', '{"url": "https://example.com/"}']
    const tokens = texts.map((text, i) => here.encryptAtTime(text, now - i))
    const script = `
import json, sys
from cryptography.fernet import Fernet
job = json.load(sys.stdin)
f = Fernet(job["key"].encode())
print(json.dumps([[f.decrypt(t.encode(), ttl=60).decode("utf-8"), f.extract_timestamp(t.encode())] for t in job["tokens"]]))
`
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify({ key, tokens }), encoding: 'utf8' })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual(texts.map((text, i) => [text, now - i]))
  })
})
