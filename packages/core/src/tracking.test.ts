import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  Configuration,
  ConfigurationError,
  InvalidArgumentError,
  InvalidLinkError,
  LinkTooLongError,
  MetadataError,
  PytrackError,
  TrackingResult,
  base64Codec,
  getClickTrackingResult,
  getClickTrackingUrl,
  getClickTrackingUrlPath,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  getOpenTrackingUrlPath,
  isPytrackError,
  registerKeyCodecFactory,
  toPythonJson,
  type Codec,
  type Metadata,
} from './index'
import { thrownBy } from '../../../test-utils/errors'

const configuration = new Configuration({
  baseOpenTrackingUrl: 'https://t.example.com/o/',
  baseClickTrackingUrl: 'https://t.example.com/c/',
})

describe('links', () => {
  it("matches pytracking's README example byte for byte", () => {
    // python: pytracking.get_click_tracking_url("http://www.example.com/?query=value", {"customer_id": 1}, ...)
    const url = getClickTrackingUrl('http://www.example.com/?query=value', { customer_id: 1 }, { configuration })
    expect(url).toBe(
      'https://t.example.com/c/' +
        Buffer.from('{"url": "http://www.example.com/?query=value", "metadata": {"customer_id": 1}}')
          .toString('base64')
          .replace(/\+/g, '-')
          .replace(/\//g, '_'),
    )
  })

  it('leaves out empty metadata, as pytracking does; a click link without a destination decodes with none', () => {
    expect(getOpenTrackingUrl({}, { configuration })).toBe('https://t.example.com/o/e30=')
    expect(getOpenTrackingUrl(null, { configuration })).toBe('https://t.example.com/o/e30=')
    // pytracking makes such a link for an empty url; pytrack refuses to make it (it would be dead).
    expect(getClickTrackingResult('https://t.example.com/c/e30=', { configuration }).trackedUrl).toBeNull()
    expect(isPytrackError(thrownBy(() => getClickTrackingUrl('', undefined, { configuration })), 'ERR_PYTRACK_INVALID_DESTINATION')).toBe(true)
  })

  it('lets per-call options override the configuration', () => {
    const url = getOpenTrackingUrl({ a: 1 }, { configuration, baseOpenTrackingUrl: 'https://other.example/x/', appendSlash: true })
    expect(url.startsWith('https://other.example/x/')).toBe(true)
    expect(url.endsWith('=/')).toBe(true)
    expect(getOpenTrackingResult(url, { baseOpenTrackingUrl: 'https://other.example/x/' }).metadata).toEqual({ a: 1 })
  })

  it('seals the webhook and default metadata when asked, and adds default metadata on decode otherwise', () => {
    const sealed = configuration.with({
      webhookUrl: 'https://hooks.example.com/h',
      includeWebhookUrl: true,
      defaultMetadata: { tenant: 'acme', a: 0 },
      includeDefaultMetadata: true,
    })
    const link = getOpenTrackingUrl({ a: 1, b: 2 }, { configuration: sealed })
    const payload = Buffer.from(link.slice('https://t.example.com/o/'.length), 'base64url').toString()
    expect(payload).toBe('{"metadata": {"tenant": "acme", "a": 1, "b": 2}, "webhook": "https://hooks.example.com/h"}')
    const result = getOpenTrackingResult(link, { configuration: sealed })
    expect(result.webhookUrl).toBe('https://hooks.example.com/h')

    const unsealed = configuration.with({ defaultMetadata: { tenant: 'acme' }, webhookUrl: 'https://hooks.example.com/h' })
    const plain = getOpenTrackingUrl({ b: 2 }, { configuration: unsealed })
    expect(getOpenTrackingResult(plain, { configuration: unsealed }).metadata).toEqual({ tenant: 'acme', b: 2 })
    expect(getOpenTrackingResult(plain, { configuration: unsealed }).webhookUrl).toBe('https://hooks.example.com/h')
  })

  it('adds the missing final slash of a base URL and lower-cases its scheme', () => {
    const c = new Configuration({ baseClickTrackingUrl: 'HTTPS://T.example.com/click' })
    expect(c.baseClickTrackingUrl).toBe('https://T.example.com/click/')
    expect(getClickTrackingUrl('https://x.example/', null, { configuration: c })).toMatch(/^https:\/\/T\.example\.com\/click\/ey/)
  })

  it('extracts the path after the base URL', () => {
    const link = getClickTrackingUrl('https://x.example/', null, { configuration })
    expect(getClickTrackingUrlPath(link, { configuration })).toBe(link.slice('https://t.example.com/c/'.length))
    expect(getOpenTrackingUrlPath('https://t.example.com/o/e30=', { configuration })).toBe('e30=')
    expect(thrownBy(() => getOpenTrackingUrlPath('https://elsewhere.example/o/e30=', { configuration }))).toBeInstanceOf(InvalidLinkError)
    expect(thrownBy(() => getOpenTrackingUrlPath('https://t.example.com/o/e30=', {}))).toBeInstanceOf(ConfigurationError)
  })

  it('decodes full URLs, paths, route prefixes, trailing slashes, queries and %3D padding', () => {
    const link = getOpenTrackingUrl({ id: 7 }, { configuration })
    const token = link.slice('https://t.example.com/o/'.length)
    for (const input of [
      link,
      `${link}/`,
      `${link}?utm_source=x#frag`,
      token,
      `/${token}`,
      `/open/${token}/`,
      `http://other-host:8080/track/open/${token}`,
      token.replace(/=+$/, ''),
      token.replace(/=/g, '%3D'),
    ]) {
      expect(getOpenTrackingResult(input, { configuration }).metadata).toEqual({ id: 7 })
    }
  })

  it('finds the token where a plain reading of the URL does, for any mix of base, prefix, slashes, query and fragment', () => {
    // The reference: cut the query and fragment, drop the base URL (or else a scheme and
    // authority), then take the last non-empty path segment.
    const reference = (input: string, base: string): string => {
      let path = input.split(/[?#]/, 1)[0] ?? ''
      if (path.startsWith(base)) path = path.slice(base.length)
      else path = path.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '')
      return path.split('/').filter((segment) => segment !== '').at(-1) ?? ''
    }
    const seen: string[] = []
    const recording: Codec = { name: 'recording', authenticated: false, seal: (payload) => payload, open: (token) => (seen.push(token), '{}') }
    const withCodec = configuration.with({ codec: recording })
    const piece = fc.constantFrom('/', '//', '?', '#', '=', 'e30', 'a/b', 'https://t.example.com/c/', 'https://t.example.com/o/', 'http://h:1', 'x://', '://', 'c')
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const input = pieces.join('')
        const expected = reference(input, 'https://t.example.com/c/')
        seen.length = 0
        if (expected === '') {
          expect(thrownBy(() => getClickTrackingResult(input, { configuration: withCodec }))).toBeInstanceOf(InvalidLinkError)
          expect(seen).toEqual([])
        } else {
          getClickTrackingResult(input, { configuration: withCodec })
          expect(seen).toEqual([expected])
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('finds the token a plain reading finds, percent-escapes and length limits included, for any URL', () => {
    // tokenOf answers the usual link (base + token, or a bare token) before its general reading;
    // both must agree with this plain reading of the URL.
    const reference = (input: string, base: string, max: number): string => {
      if (input.length > max * 2) return 'InvalidLinkError'
      let path = input.split(/[?#]/, 1)[0] ?? ''
      if (path.startsWith(base)) path = path.slice(base.length)
      else path = path.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '')
      let token = path.split('/').filter((segment) => segment !== '').at(-1) ?? ''
      if (token.includes('%')) {
        try {
          token = decodeURIComponent(token)
        } catch {
          return 'InvalidLinkError'
        }
      }
      return token === '' || token.length > max ? 'InvalidLinkError' : token
    }
    const seen: string[] = []
    const recording: Codec = { name: 'recording', authenticated: false, seal: (payload) => payload, open: (token) => (seen.push(token), '{}') }
    const base = 'https://t.example.com/c/'
    const token = getClickTrackingUrl('https://example.com/?q=1&r=é', { id: 7, s: 'x' }, { configuration }).slice(base.length)
    const piece = fc.oneof(
      fc.constantFrom(token, token.slice(0, -1), token.replace(/=+$/, ''), token.slice(0, 8), 'e30=', 'e30', 'e30%3D', 'e3', 'e30=='),
      fc.constantFrom('/', '?', '#', '%', '%3D', '%2F', '%E9', '=', ' ', '\t', '+', '-', '_', 'é', '.'),
      fc.constantFrom(token + '/', `/${token}`, 'e30/', 'e30/e30=', 'e30=/', '//', token + '?a=1', token + '#x', 'x://h'),
      fc.string({ unit: fc.constantFrom(...'AZaz09+/-_=%?#/ é'), maxLength: 6 }),
    )
    fc.assert(
      fc.property(
        fc.constantFrom(base, 'https://t.example.com/%7Ee%CC%81/c/'),
        fc.constantFrom('base', '/c/', 'https://t.example.com/o/', 'HTTPS://t.example.com/c/', ''),
        fc.array(piece, { maxLength: 4 }),
        fc.constantFrom(2048, 100, 99.5, 64, token.length),
        (baseUrl, prefix, pieces, maxLinkLength) => {
          const input = (prefix === 'base' ? baseUrl : prefix) + pieces.join('')
          const c = configuration.with({ codec: recording, maxLinkLength, baseClickTrackingUrl: baseUrl })
          seen.length = 0
          let got: string
          try {
            getClickTrackingResult(input, { configuration: c })
            got = seen[0] ?? 'no token'
          } catch (error) {
            got = (error as Error).constructor.name
          }
          expect(got).toBe(reference(input, baseUrl, maxLinkLength))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('takes requestData and timestamp from the options', () => {
    const result = getOpenTrackingResult(getOpenTrackingUrl({}, { configuration }), {
      configuration,
      requestData: { user_agent: 'UA', user_ip: '127.0.0.1' },
      timestamp: 1700000000,
    })
    expect(result.requestData).toEqual({ user_agent: 'UA', user_ip: '127.0.0.1' })
    expect(result.timestamp).toBe(1700000000)
    expect(result.isOpenTracking).toBe(true)
  })

  it('uses the configured codec', () => {
    const reversed: Codec = {
      name: 'reversed',
      authenticated: false,
      seal: (payload) => base64Codec.seal([...payload].reverse().join('')),
      open: (token) => [...base64Codec.open(token)].reverse().join(''),
    }
    const c = configuration.with({ codec: reversed })
    const link = getClickTrackingUrl('https://x.example/', { a: 1 }, { configuration: c })
    expect(getClickTrackingResult(link, { configuration: c }).trackedUrl).toBe('https://x.example/')
    expect(() => getClickTrackingResult(link, { configuration })).toThrow(InvalidLinkError)
  })

  it('wraps a codec that throws a foreign error', () => {
    const broken: Codec = { name: 'broken', authenticated: true, seal: (p) => p, open: () => { throw new TypeError('boom') } }
    const error = thrownBy(() => getOpenTrackingResult('abc', { configuration: configuration.with({ codec: broken }) }))
    expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })
})

describe('round trips (fast-check)', () => {
  const key = fc.string().filter((k) => k !== '__proto__')
  const metadata = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  const big = configuration.with({ maxLinkLength: 1_000_000 })

  it('click links decode to the same url and metadata', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), metadata, (url, meta) => {
        const link = getClickTrackingUrl(url, meta as Metadata, { configuration: big })
        const result = getClickTrackingResult(link, { configuration: big })
        expect(result.trackedUrl).toBe(url)
        expect(result.metadata).toEqual(JSON.parse(JSON.stringify(meta)))
      }),
      { numRuns: 300 },
    )
  })

  it('open links decode to the same metadata, with any string keys and values', () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ unit: 'binary' })), (meta) => {
        const result = getOpenTrackingResult(getOpenTrackingUrl(meta, { configuration: big }), { configuration: big })
        expect(result.metadata).toEqual(meta)
      }),
      { numRuns: 300 },
    )
  })
})

describe('input checks', () => {
  it.each([
    ['a relative URL', 'tracking.example.com/open/'],
    ['another scheme', 'ftp://t.example.com/o/'],
    ['a query string', 'https://t.example.com/o/?x=1'],
    ['a fragment', 'https://t.example.com/o/#x'],
    ['white space', 'https://t.example.com/o p/'],
  ])('refuses a base URL with %s', (_, url) => {
    const error = thrownBy(() => new Configuration({ baseOpenTrackingUrl: url }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toMatch(/baseOpenTrackingUrl/)
  })

  it.each([
    ['white space', 'https://hooks.slack.com/services/T0/B0/s3cr3tT0ken\n'],
    ['another scheme', 'ftp://hooks.example.com/s3cr3tT0ken'],
    ['no scheme', 'hooks.example.com/?token=s3cr3tT0ken'],
  ])('never repeats a webhook URL (which may hold a token) when refusing one with %s', (_, url) => {
    const error = thrownBy(() => new Configuration({ webhookUrl: url }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toMatch(/^webhookUrl /)
    expect((error as Error).message).not.toContain('s3cr3tT0ken')
  })

  it('refuses wrong types in the configuration', () => {
    expect(() => new Configuration({ appendSlash: 'yes' as never })).toThrow(ConfigurationError)
    expect(() => new Configuration({ webhookTimeoutSeconds: -1 })).toThrow(ConfigurationError)
    expect(() => new Configuration({ maxLinkLength: Number.NaN })).toThrow(ConfigurationError)
    expect(() => new Configuration({ codec: {} as never })).toThrow(ConfigurationError)
    expect(() => new Configuration({ defaultMetadata: { n: NaN } })).toThrow(ConfigurationError)
    expect(() => new Configuration({ webhookUrl: 'javascript:alert(1)' })).toThrow(ConfigurationError)
  })

  it('names the wrong field in ConfigurationError.setting', () => {
    const cases: [() => unknown, string | undefined][] = [
      [() => new Configuration({ baseOpenTrackingUrl: 'track.example.com' }), 'baseOpenTrackingUrl'],
      [() => new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/?x=1' }), 'baseClickTrackingUrl'],
      [() => new Configuration({ webhookUrl: 'ftp://h.example/' }), 'webhookUrl'],
      [() => new Configuration({ appendSlash: 'yes' as never }), 'appendSlash'],
      [() => new Configuration({ maxLinkLength: 10 }), 'maxLinkLength'],
      [() => new Configuration({ webhookTimeoutSeconds: -1 }), 'webhookTimeoutSeconds'],
      [() => new Configuration({ defaultMetadata: [] as never }), 'defaultMetadata'],
      [() => new Configuration({ defaultMetadata: { n: NaN } }), 'defaultMetadata'],
      [() => new Configuration({ codec: {} as never }), 'codec'],
      [() => Configuration.fromPytracking({ encoding: 'latin-1' }), 'encoding'],
      [() => Configuration.fromPytracking({ encryption_bytestring_key: 7 as never }), 'encryption_bytestring_key'],
      [() => Configuration.fromPytracking({ base_open_tracking_url: 'nope' }), 'base_open_tracking_url'],
      [() => Configuration.fromPytracking({ default_metadata: { n: NaN } }), 'default_metadata'],
      [() => Configuration.fromPytracking({ webhook_timeout_seconds: -1 }), 'webhook_timeout_seconds'],
      [() => Configuration.fromPytracking({}, { codec: {} as never }), 'codec'],
      [() => configuration.with({ maxLinkLength: 1 }), 'maxLinkLength'],
      [() => getOpenTrackingUrl({}), 'baseOpenTrackingUrl'],
      [() => getClickTrackingUrlPath('https://x/', { baseClickTrackingUrl: null }), 'baseClickTrackingUrl'],
      [() => getOpenTrackingUrl({}, { configuration, codec: { name: 'x', authenticated: false, seal: () => '', open: (t) => t } }), 'codec'],
      [() => new Configuration('x' as never), undefined],
    ]
    for (const [make, setting] of cases) {
      const error = thrownBy(make)
      expect(error, String(setting)).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).setting, String(setting)).toBe(setting)
    }
    // fromPytracking names the snake_case key in the message too.
    expect((thrownBy(() => Configuration.fromPytracking({ default_metadata: { n: NaN } })) as Error).message).toMatch(
      /^default_metadata is not valid: default_metadata\.n /,
    )
  })

  it('says which base URL is missing', () => {
    expect(() => getOpenTrackingUrl({})).toThrow(/baseOpenTrackingUrl is not set/)
    expect(() => getClickTrackingUrl('https://x.example/')).toThrow(/baseClickTrackingUrl is not set/)
  })

  it('refuses metadata that is not a plain object', () => {
    for (const bad of [[1, 2], 'text', 3, new Date(0), new Map()]) {
      expect(thrownBy(() => getOpenTrackingUrl(bad as never, { configuration }))).toBeInstanceOf(MetadataError)
    }
    expect(thrownBy(() => getClickTrackingUrl(42 as never, {}, { configuration }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrownBy(() => getOpenTrackingUrl({}, 'x' as never))).toBeInstanceOf(InvalidArgumentError)
    expect(thrownBy(() => getOpenTrackingUrl({}, { configuration: {} as never }))).toBeInstanceOf(InvalidArgumentError)
  })

  it('enforces maxLinkLength when encoding, without the payload in the message', () => {
    const error = thrownBy(() => getOpenTrackingUrl({ secret: 's3cr3t'.repeat(400) }, { configuration }))
    expect(error).toBeInstanceOf(LinkTooLongError)
    expect((error as LinkTooLongError).maxLength).toBe(2048)
    expect((error as Error).message).not.toContain('s3cr3t')
    expect(() => getOpenTrackingUrl({ x: 'y'.repeat(100) }, { configuration, maxLinkLength: 100 })).toThrow(/maxLinkLength \(100\)/)
  })
})

describe('hostile input to the encoders', () => {
  const boom = (): never => {
    throw new Error('from user code')
  }
  const deep = (): Metadata => {
    const root: Metadata = {}
    let at = root
    for (let i = 0; i < 20_000; i++) at = (at.a = {}) as Metadata
    return root
  }
  const codec = (seal: () => unknown): Codec => ({ name: 'odd', authenticated: false, seal: seal as () => string, open: (t) => t })

  it.each<[string, () => unknown, new (...args: never[]) => PytrackError]>([
    ['metadata with a throwing getter', () => getClickTrackingUrl('https://x.example/', { get a() { return boom() } }, { configuration }), MetadataError],
    ['metadata behind a Proxy whose traps throw', () => getOpenTrackingUrl(new Proxy({}, { getPrototypeOf: boom }), { configuration }), MetadataError],
    ['metadata whose toJSON throws', () => getOpenTrackingUrl({ d: { toJSON: boom } } as never, { configuration }), MetadataError],
    ['metadata nested too deeply for the stack', () => getOpenTrackingUrl(deep(), { configuration, maxLinkLength: 1e9 }), MetadataError],
    ['toPythonJson of a value nested too deeply', () => toPythonJson(deep()), MetadataError],
    ['options with a throwing getter', () => getOpenTrackingUrl({}, new Proxy({}, { ownKeys: boom })), InvalidArgumentError],
    ['settings with a throwing getter', () => new Configuration({ get appendSlash(): boolean { return boom() } }), ConfigurationError],
    ['a number field that cannot be turned into text', () => new Configuration({ maxLinkLength: Object.create(null) as never }), ConfigurationError],
    ['an encoding that cannot be turned into text', () => Configuration.fromPytracking({ encoding: Object.create(null) as never }), ConfigurationError],
    ['with(null)', () => configuration.with(null as never), ConfigurationError],
    ['a codec whose seal throws', () => getOpenTrackingUrl({}, { configuration, codec: codec(boom) }), ConfigurationError],
    ['a codec whose seal returns no string', () => getOpenTrackingUrl({}, { configuration, codec: codec(() => 42) }), ConfigurationError],
    ['a TrackingResult made from null', () => new TrackingResult(null as never), InvalidArgumentError],
    ['a key codec factory that is not a function', () => registerKeyCodecFactory(42 as never), InvalidArgumentError],
  ])('refuses %s with a pytrack error', (_, run, type) => {
    const error = thrownBy(run)
    expect(error).toBeInstanceOf(type)
    expect((error as Error).message).not.toContain('from user code')
  })
})

describe('hostile decoding', () => {
  const encode = (json: string) => Buffer.from(json).toString('base64url')

  it('never changes a prototype through __proto__ or constructor keys', () => {
    const token = encode('{"metadata": {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}}')
    const result = getOpenTrackingResult(token, { configuration: configuration.with({ defaultMetadata: { d: 1 } }) })
    expect(Object.getPrototypeOf(result.metadata)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(result.metadata, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(result.metadata.d).toBe(1)
  })

  it.each([
    ['a JSON array', '[1]'],
    ['a JSON null', 'null'],
    ['a number', '5'],
    ['metadata that is a list', '{"metadata": [1]}'],
    ['metadata that is null', '{"metadata": null}'],
    ['a url that is a number', '{"url": 5}'],
    ['NaN (Python would accept it, JSON does not)', '{"metadata": {"x": NaN}}'],
  ])('refuses %s', (_, json) => {
    expect(thrownBy(() => getClickTrackingResult(encode(json), { configuration }))).toBeInstanceOf(InvalidLinkError)
  })

  it('refuses a webhook that is not a string when webhooks are sealed', () => {
    const c = configuration.with({ includeWebhookUrl: true })
    expect(() => getOpenTrackingResult(encode('{"webhook": 1}'), { configuration: c })).toThrow(InvalidLinkError)
  })

  it('refuses oversized input before decoding it', () => {
    expect(() => getOpenTrackingResult('e'.repeat(10_000), { configuration })).toThrow(/over the limit/)
    expect(() => getOpenTrackingResult('e'.repeat(3000), { configuration })).toThrow(/over maxLinkLength/)
  })

  it('throws only pytrack errors, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.base64String(), fc.anything()), (input) => {
        for (const decode of [getOpenTrackingResult, getClickTrackingResult]) {
          try {
            decode(input as string, { configuration })
          } catch (error) {
            expect(error).toBeInstanceOf(PytrackError)
            expect(typeof (error as PytrackError).code).toBe('string')
          }
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('TrackingResult', () => {
  it("serialises to pytracking's webhook payload", () => {
    const result = new TrackingResult({
      isOpenTracking: false,
      isClickTracking: true,
      trackedUrl: 'https://x.example/',
      webhookUrl: 'https://hooks.example.com/',
      metadata: { a: 1 },
      requestData: { user_agent: 'UA', user_ip: '1.2.3.4' },
      timestamp: 1389177318,
    })
    expect(JSON.stringify(result)).toBe(
      '{"is_open_tracking":false,"is_click_tracking":true,"metadata":{"a":1},"request_data":{"user_agent":"UA","user_ip":"1.2.3.4"},"timestamp":1389177318,"tracked_url":"https://x.example/"}',
    )
    expect(TrackingResult.fromJSON(result.toJSON())).toEqual({ ...result, webhookUrl: null })
    const open = new TrackingResult({ isOpenTracking: true, isClickTracking: false })
    expect(Object.keys(open.toJSON())).toEqual(['is_open_tracking', 'is_click_tracking', 'metadata', 'request_data', 'timestamp'])
    expect(Number.isInteger(open.timestamp)).toBe(true)
  })

  it('refuses malformed payloads in fromJSON', () => {
    for (const bad of [null, [], { is_open_tracking: 'yes' }, { is_open_tracking: true, is_click_tracking: false, metadata: [] }]) {
      expect(thrownBy(() => TrackingResult.fromJSON(bad))).toBeInstanceOf(InvalidArgumentError)
    }
  })
})

describe('Configuration.fromPytracking', () => {
  it('takes the snake_case dict unchanged and ignores unknown keys', () => {
    const c = Configuration.fromPytracking({
      webhook_url: 'http://requestb.in/123',
      base_open_tracking_url: 'http://tracking.domain.com/open/',
      base_click_tracking_url: 'http://tracking.domain.com/click/',
      default_metadata: { analytics_key: '123456' },
      webhook_timeout_seconds: 10,
      append_slash: true,
      pixel_position: 'top',
    })
    expect(c.webhookUrl).toBe('http://requestb.in/123')
    expect(c.webhookTimeoutSeconds).toBe(10)
    expect(c.appendSlash).toBe(true)
    expect(c.defaultMetadata).toEqual({ analytics_key: '123456' })
    expect(Object.isFrozen(c.defaultMetadata)).toBe(true)
  })

  it('explains what to do about an encryption key without @pytrack/crypto', () => {
    expect(() => Configuration.fromPytracking({ encryption_bytestring_key: 'k' })).toThrow(/@pytrack\/crypto/)
    expect(() => Configuration.fromPytracking({ encoding: 'latin-1' })).toThrow(ConfigurationError)
    expect(() => Configuration.fromPytracking(null as never)).toThrow(ConfigurationError)
  })
})
