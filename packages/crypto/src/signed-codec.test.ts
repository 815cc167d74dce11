import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Configuration,
  InvalidLinkError,
  base64Codec,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  isPytrackError,
} from '@pytrack/core'
import { benchWorkload } from '../../../test-utils/vectors'
import { InvalidKeyError, LinkExpiredError, signedCodec } from './index'
import { thrownBy as thrown } from '../../../test-utils/errors'
import { expectClickRoundTrip } from '../../../test-utils/pytracking'

// The worked example of the README's "Signed links: wire format" section.
const EXAMPLE = {
  secret: 'pytrack-example-secret-0123456789',
  payload: '{"metadata": {"customer_id": 1}}',
  issuedAt: 1767225600,
  link: 'https://t.example.com/o/eyJtZXRhZGF0YSI6IHsiY3VzdG9tZXJfaWQiOiAxfX0=.k2026.t1767225600.Aer41J_r78TKc86uHfPdjQ',
  bare: 'eyJtZXRhZGF0YSI6IHsiY3VzdG9tZXJfaWQiOiAxfX0=.lucyFEj6BtmlgXewE257qg',
}
const SECRET = 'a-secret-of-at-least-sixteen-bytes'
const base = { baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl, baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl }

// A second implementation of the wire format, in Python's standard library only, as the
// README describes it: if this agrees, another language can implement the format.
const PYTHON_VERIFIER = `
import base64, hashlib, hmac, json, sys
def tag(secret, signed, n=16):
    mac = hmac.new(secret, b"pytrack-signed-v1." + signed.encode("ascii"), hashlib.sha256).digest()[:n]
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")
def open_token(token, secrets):
    signed, _, given = token.rpartition(".")
    fields = signed.split(".")[1:]
    kid = next((f[1:] for f in fields if f.startswith("k")), None)
    candidates = [s for k, s in secrets if kid is None or k == kid]
    if not any(hmac.compare_digest(tag(s, signed), given) for s in candidates):
        raise ValueError("forged")
    return base64.urlsafe_b64decode(signed.split(".")[0]).decode("utf-8")
job = json.load(sys.stdin)
secrets = [(k, s.encode("utf-8")) for k, s in job["secrets"]]
out = {"opened": [open_token(t, secrets) for t in job["tokens"]]}
out["made"] = [p["body"] + p["fields"] + "." + tag(secrets[0][1], p["body"] + p["fields"]) for p in job["make"]]
print(json.dumps(out))
`
const python = spawnSync('python3', ['-c', 'import hmac, hashlib, base64, json'], { encoding: 'utf8' })
const hasPython = python.status === 0

describe('signedCodec wire format', () => {
  it('matches the worked example of the README', () => {
    const codec = signedCodec({ id: '2026', secret: EXAMPLE.secret }, { maxAgeSeconds: 90 * 86400, clock: () => EXAMPLE.issuedAt })
    const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', codec })
    expect(getOpenTrackingUrl({ customer_id: 1 }, { configuration })).toBe(EXAMPLE.link)
    expect(signedCodec(EXAMPLE.secret).seal(EXAMPLE.payload)).toBe(EXAMPLE.bare)
    expect(signedCodec(EXAMPLE.secret).open(EXAMPLE.bare)).toBe(EXAMPLE.payload)
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(EXAMPLE.link)
    expect(readme).toContain(EXAMPLE.bare)
    expect(readme).toContain(EXAMPLE.secret)
  })

  it('stays readable: the body is pytracking\'s plain base64 token of the payload', () => {
    const codec = signedCodec(SECRET)
    const payload = '{"url": "https://example.com/", "metadata": {"x": "é"}}'
    const token = codec.seal(payload)
    expect(token).toMatch(/^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{22}$/)
    expect(base64Codec.open(token.split('.')[0] ?? '')).toBe(payload)
    expect(codec.open(token)).toBe(payload)
  })

  it.skipIf(!hasPython)('agrees with an independent Python implementation of the README, both ways', () => {
    const codec = signedCodec([{ id: 'new', secret: SECRET }, { id: '2026', secret: EXAMPLE.secret }], {
      maxAgeSeconds: 60,
      clock: () => 1767225600,
    })
    const payloads = ['{}', '{"metadata": {"name": "\\u00e9t\\u00e9"}}', '{"url": "https://example.com/?a=1&b=2"}']
    const job = {
      secrets: [['new', SECRET], ['2026', EXAMPLE.secret]],
      tokens: [...payloads.map((p) => codec.seal(p)), EXAMPLE.link.split('/').pop()],
      make: payloads.map((p) => ({ body: Buffer.from(p).toString('base64url') + ['', '==', '='][p.length % 3], fields: '.knew.t1767225600' })),
    }
    const run = spawnSync('python3', ['-c', PYTHON_VERIFIER], { input: JSON.stringify(job), encoding: 'utf8' })
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout) as { opened: string[]; made: string[] }
    expect(out.opened).toEqual([...payloads, EXAMPLE.payload])
    expect(out.made).toEqual(payloads.map((p) => codec.seal(p)))
    expect(out.made.map((t) => codec.open(t))).toEqual(payloads)
  })

  it('accepts longer tags when asked (tagBytes)', () => {
    const codec = signedCodec(SECRET, { tagBytes: 32 })
    const token = codec.seal('{}')
    expect(token.split('.').pop()).toHaveLength(43)
    expect(codec.open(token)).toBe('{}')
    expect(thrown(() => signedCodec(SECRET).open(token))).toBeInstanceOf(InvalidLinkError)
  })
})

describe('signedCodec links', () => {
  it('round-trips any destination and metadata, with key ids and times', () => {
    const configuration = new Configuration({ ...base, codec: signedCodec([{ id: 'a', secret: SECRET }], { maxAgeSeconds: 600 }) })
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), { maxKeys: 4 }),
        (url, metadata) => expectClickRoundTrip(url, metadata, configuration),
      ),
      { numRuns: 100 },
    )
  })

  it('refuses a link with any one character changed', () => {
    const codec = signedCodec([{ id: 'k1', secret: SECRET }], { maxAgeSeconds: 600, clock: () => 1767225600 })
    const token = codec.seal('{"url": "https://example.com/", "metadata": {"customer_id": 5}}')
    const alphabet = 'ABCabc019-_=.kt'
    fc.assert(
      fc.property(fc.integer({ min: 0, max: token.length - 1 }), fc.constantFrom(...alphabet), (index, char) => {
        fc.pre(token[index] !== char)
        const edited = token.slice(0, index) + char + token.slice(index + 1)
        const error = thrown(() => codec.open(edited))
        expect(error).toBeInstanceOf(InvalidLinkError)
      }),
      { numRuns: 500 },
    )
  })

  it('throws only pytrack errors from open, whatever the token', () => {
    const codec = signedCodec([{ id: 'k1', secret: SECRET }, SECRET.toUpperCase()], { maxAgeSeconds: 600 })
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (token) => {
        expect(isPytrackError(thrown(() => codec.open(token)))).toBe(true)
      }),
      { numRuns: 500 },
    )
    for (const value of [undefined, null, 42, {}]) {
      expect(isPytrackError(thrown(() => codec.open(value as never)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
      expect(isPytrackError(thrown(() => codec.seal(value as never)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('rotates secrets by key id, and by trying each secret when links carry none', () => {
    const oldById = signedCodec({ id: 'old', secret: EXAMPLE.secret })
    const oldBare = signedCodec(EXAMPLE.secret)
    const rotated = signedCodec([{ id: 'new', secret: SECRET }, { id: 'old', secret: EXAMPLE.secret }])
    expect(rotated.open(oldById.seal('{"a": 1}'))).toBe('{"a": 1}')
    expect(rotated.open(oldBare.seal('{"a": 2}'))).toBe('{"a": 2}')
    expect(rotated.seal('{}')).toMatch(/^e30=\.knew\.[A-Za-z0-9_-]{22}$/)
    // A key id names its secret: the other secrets are not tried.
    const wrongId = signedCodec({ id: 'new', secret: EXAMPLE.secret }).seal('{}')
    expect(thrown(() => rotated.open(wrongId))).toBeInstanceOf(InvalidLinkError)
    expect(thrown(() => rotated.open(signedCodec({ id: 'gone', secret: SECRET }).seal('{}')))).toBeInstanceOf(InvalidLinkError)
    // Once the old secret is dropped, its links stop working.
    expect(thrown(() => signedCodec({ id: 'new', secret: SECRET }).open(oldById.seal('{}')))).toBeInstanceOf(InvalidLinkError)
  })

  it('expires links after maxAgeSeconds, from the time they carry', () => {
    let now = 1767225600
    const configuration = new Configuration({ ...base, codec: signedCodec(SECRET, { maxAgeSeconds: 86400, clock: () => now }) })
    const link = getOpenTrackingUrl({ customer_id: 9 }, { configuration })
    expect(link).toContain(`.t${now}.`)
    now += 86400
    expect(getOpenTrackingResult(link, { configuration }).metadata).toEqual({ customer_id: 9 })
    now += 1
    const error = thrown(() => getOpenTrackingResult(link, { configuration }))
    expect(error).toBeInstanceOf(LinkExpiredError)
    expect(isPytrackError(error, 'ERR_PYTRACK_LINK_EXPIRED')).toBe(true)
    expect((error as Error).message).not.toContain('customer_id')
    now = 1767225600 - 61
    expect(isPytrackError(thrown(() => getOpenTrackingResult(link, { configuration })), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    // A link without a time cannot be checked against an age limit.
    const timeless = getOpenTrackingUrl({ customer_id: 9 }, { ...base, codec: signedCodec(SECRET) })
    expect(isPytrackError(thrown(() => getOpenTrackingResult(timeless, { configuration })), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    // Without maxAgeSeconds the time is ignored (still signed).
    expect(getOpenTrackingResult(link, { ...base, codec: signedCodec(SECRET) }).metadata).toEqual({ customer_id: 9 })
  })

  it('refuses malformed links', () => {
    const codec = signedCodec(SECRET)
    const good = codec.seal('{}')
    for (const token of ['', '.', 'e30=', `${good}.`, `e30=.x.${good.split('.')[1]}`, `e30=.t1.t2.${good.split('.')[1]}`, `e30=.t01.${good.split('.')[1]}`, `e30=.t1.k1.${good.split('.')[1]}`, 'e30=.AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(isPytrackError(thrown(() => codec.open(token)), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    }
  })

  it('refuses weak or malformed secrets and bad options with typed errors', () => {
    const keyErrors = [
      () => signedCodec('short'),
      () => signedCodec([]),
      () => signedCodec(new Uint8Array(15)),
      () => signedCodec({ id: 'has space', secret: SECRET }),
      () => signedCodec({ id: '', secret: SECRET }),
      () => signedCodec([{ id: 'a', secret: SECRET }, { id: 'a', secret: EXAMPLE.secret }]),
      () => signedCodec(42 as never),
    ]
    for (const fn of keyErrors) {
      const error = thrown(fn)
      expect(error).toBeInstanceOf(InvalidKeyError)
      expect((error as Error).message).not.toContain(SECRET)
    }
    for (const fn of [() => signedCodec(SECRET, { tagBytes: 8 }), () => signedCodec(SECRET, { tagBytes: 33 }), () => signedCodec(SECRET, { maxAgeSeconds: Number.NaN })]) {
      expect(isPytrackError(thrown(fn), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
    expect(signedCodec(new Uint8Array(16)).authenticated).toBe(true)
    expect(signedCodec(SECRET).name).toBe('signed')
  })
})
