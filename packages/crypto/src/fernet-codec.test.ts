// fernetCodec: pytracking's encryption_bytestring_key, against links pytracking made
// (fixtures/vectors/pytracking/encrypted.json, and ../shared when present).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Configuration,
  InvalidLinkError,
  base64Codec,
  getClickTrackingResult,
  getClickTrackingUrl,
  getKeyCodecFactory,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  isPytrackError,
  type Metadata,
} from '@pytrack/core'
import { benchWorkload, loadVectors, type PytrackingLinkCase, type PytrackingVectorFile } from '../../../test-utils/vectors'
import { decodeAsPytracking as resultOf, expectClickRoundTrip } from '../../../test-utils/pytracking'
import { Fernet, InvalidKeyError, InvalidTokenError, LinkExpiredError, MultiFernet, fernetCodec } from './index'
import { thrownBy as thrown } from '../../../test-utils/errors'

for (const { source, data } of loadVectors<PytrackingVectorFile<PytrackingLinkCase>>('pytracking/encrypted.json')) {
  describe(`links pytracking sealed with Fernet (${source})`, () => {
    it('has cases', () => {
      expect(data.cases.length).toBeGreaterThan(10)
      expect(data.cases.every((c) => typeof c.config.encryption_bytestring_key === 'string')).toBe(true)
    })

    const cases = data.cases.map((c) => [c.name, c] as const)

    it.each(cases)("%s: Configuration.fromPytracking decodes it to pytracking's result", (_, c) => {
      const configuration = Configuration.fromPytracking(c.config)
      expect(configuration.codec.name).toBe('fernet')
      expect(configuration.codec.authenticated).toBe(true)
      expect(resultOf(c.kind, c.url, configuration)).toEqual(c.result)
      // pytracking's own decoder is handed the path without the base URL and final slash.
      const base = c.kind === 'open' ? c.config.base_open_tracking_url : c.config.base_click_tracking_url
      const path = c.url.slice(String(base).length).replace(/\/$/, '')
      expect(resultOf(c.kind, path, configuration)).toEqual(c.result)
    })

    it.each(cases)('%s: a link made here with the same settings decodes to the same result', (_, c) => {
      const configuration = Configuration.fromPytracking(c.config)
      const sealed = c.result.metadata as Metadata
      // Re-seal what pytracking sealed: the token is random, the decoded result is not.
      const plain = Configuration.fromPytracking({ ...c.config, encryption_bytestring_key: null })
      const payload = base64Codec.open(
        (c.kind === 'open'
          ? getOpenTrackingUrl(sealed, { configuration: plain })
          : getClickTrackingUrl(c.result.tracked_url ?? '', sealed, { configuration: plain })
        )
          .replace(/\/$/, '')
          .split('/')
          .pop() ?? '',
      )
      const url =
        c.kind === 'open'
          ? getOpenTrackingUrl(sealed, { configuration })
          : getClickTrackingUrl(c.result.tracked_url ?? '', sealed, { configuration })
      expect(url).not.toBe(c.url)
      const token = url.replace(/\/$/, '').split('/').pop() ?? ''
      // The path segment is the Fernet token itself, holding pytracking's JSON payload.
      expect(new Fernet(String(c.config.encryption_bytestring_key)).decryptToString(token)).toBe(payload)
      expect(resultOf(c.kind, url, configuration)).toEqual(resultOf(c.kind, c.url, configuration))
    })

    it.each(cases)('%s: refused with another key, or altered', (_, c) => {
      const other = Configuration.fromPytracking({ ...c.config, encryption_bytestring_key: Fernet.generateKey() })
      const error = thrown(() => resultOf(c.kind, c.url, other))
      expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
      const configuration = Configuration.fromPytracking(c.config)
      const at = c.url.indexOf('gAAAA') + 40
      const altered = c.url.slice(0, at) + (c.url[at] === 'A' ? 'B' : 'A') + c.url.slice(at + 1)
      expect(isPytrackError(thrown(() => resultOf(c.kind, altered, configuration)), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    })
  })
}

const KEY = benchWorkload.fernetKey
const base = { baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl, baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl }

describe('fernetCodec', () => {
  it('is what importing @pytrack/crypto registers for encryption_bytestring_key', () => {
    const factory = getKeyCodecFactory()
    expect(factory).toBeTypeOf('function')
    const codec = factory?.(KEY)
    expect(codec?.name).toBe('fernet')
    expect(new Fernet(KEY).decryptToString(codec?.seal('{}') ?? '')).toBe('{}')
  })

  it('round-trips any metadata and destination through click links', () => {
    const configuration = new Configuration({ ...base, codec: fernetCodec(KEY) })
    fc.assert(
      fc.property(
        fc.webUrl(),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 }),
        (url, metadata) => expectClickRoundTrip(url, metadata, configuration),
      ),
      { numRuns: 100 },
    )
  })

  it('rotates keys: seals with the first, opens links of any', () => {
    const oldKey = Fernet.generateKey()
    const before = new Configuration({ ...base, codec: fernetCodec(oldKey) })
    const oldLink = getClickTrackingUrl('https://example.com/a', { n: 1 }, { configuration: before })
    for (const keys of [[KEY, oldKey], [new Fernet(KEY), new Fernet(oldKey)], new MultiFernet([KEY, oldKey])] as const) {
      const configuration = new Configuration({ ...base, codec: fernetCodec(keys) })
      expect(getClickTrackingResult(oldLink, { configuration }).metadata).toEqual({ n: 1 })
      const newLink = getClickTrackingUrl('https://example.com/b', { n: 2 }, { configuration })
      expect(getClickTrackingResult(newLink, { configuration: new Configuration({ ...base, codec: fernetCodec(KEY) }) }).trackedUrl).toBe(
        'https://example.com/b',
      )
      expect(() => getClickTrackingResult(newLink, { configuration: before })).toThrow(InvalidLinkError)
    }
  })

  it('refuses links older than maxAgeSeconds with LinkExpiredError, as Python counts a ttl', () => {
    let now = 1767225600
    const codec = fernetCodec(KEY, { maxAgeSeconds: 3600, clock: () => now })
    const configuration = new Configuration({ ...base, codec })
    const link = getOpenTrackingUrl({ customer_id: 7 }, { configuration })
    expect(new Fernet(KEY).extractTimestamp(link.split('/').pop() ?? '')).toBe(now)
    now += 3600
    expect(getOpenTrackingResult(link, { configuration }).metadata).toEqual({ customer_id: 7 })
    now += 1
    const error = thrown(() => getOpenTrackingResult(link, { configuration }))
    expect(error).toBeInstanceOf(LinkExpiredError)
    expect(isPytrackError(error, 'ERR_PYTRACK_LINK_EXPIRED')).toBe(true)
    expect((error as LinkExpiredError).issuedAt).toBe(1767225600)
    expect((error as LinkExpiredError).maxAgeSeconds).toBe(3600)
    // Stamped more than a minute in the future: refused as not valid.
    now = 1767225600 - 61
    expect(isPytrackError(thrown(() => getOpenTrackingResult(link, { configuration })), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    // Without maxAgeSeconds, links never expire, as in pytracking.
    expect(getOpenTrackingResult(link, { ...base, codec: fernetCodec(KEY) }).metadata).toEqual({ customer_id: 7 })
  })

  it('refuses bad tokens with InvalidLinkError (cause: InvalidTokenError) and one generic message', () => {
    const codec = fernetCodec(KEY)
    const good = codec.seal('{"url": "https://example.com/"}')
    const messages = new Set<string>()
    for (const token of ['', 'e30=', good.slice(0, -4), good.replace(/=+$/, ''), `${good.slice(0, 50)}${good[50] === 'A' ? 'B' : 'A'}${good.slice(51)}`, new Fernet(Fernet.generateKey()).encrypt('{}')]) {
      const error = thrown(() => codec.open(token))
      expect(error).toBeInstanceOf(InvalidLinkError)
      expect((error as Error).cause).toBeInstanceOf(InvalidTokenError)
      messages.add((error as Error).message)
    }
    expect(messages.size).toBe(1)
    expect(codec.open(good)).toBe('{"url": "https://example.com/"}')
  })

  it('refuses a Fernet-authentic token that is not UTF-8 text', () => {
    const token = new Fernet(KEY).encrypt(new Uint8Array([0x7b, 0xff, 0x7d]))
    expect(isPytrackError(thrown(() => fernetCodec(KEY).open(token)), 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
  })

  it('throws only pytrack errors from open, whatever the token (property)', () => {
    const codec = fernetCodec([KEY, Fernet.generateKey()], { maxAgeSeconds: 10 })
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ minLength: 100, maxLength: 300 }).map((s) => `gAAAA${s}`)), (token) => {
        expect(isPytrackError(thrown(() => codec.open(token)))).toBe(true)
      }),
      { numRuns: 300 },
    )
    for (const value of [undefined, null, 42, {}]) {
      expect(isPytrackError(thrown(() => codec.open(value as never)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
      expect(isPytrackError(thrown(() => codec.seal(value as never)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('refuses bad keys and options with typed errors', () => {
    expect(thrown(() => fernetCodec('not a key'))).toBeInstanceOf(InvalidKeyError)
    expect(thrown(() => fernetCodec([]))).toBeInstanceOf(InvalidKeyError)
    expect(thrown(() => Configuration.fromPytracking({ encryption_bytestring_key: 'c2hvcnQ=' }))).toBeInstanceOf(InvalidKeyError)
    expect(isPytrackError(thrown(() => fernetCodec(KEY, { maxAgeSeconds: -1 })), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    expect(isPytrackError(thrown(() => fernetCodec(KEY, { clock: 5 as never })), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
  })
})
