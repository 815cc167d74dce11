import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Configuration,
  ConfigurationError,
  InvalidArgumentError,
  describeValue,
  getClickTrackingUrl,
  parseHttpOrigin,
  parseHttpUrl,
  resolveConfiguration,
} from './index'
import { thrownBy as thrown } from '../../../test-utils/errors'

describe('describeValue', () => {
  it('shows numbers, booleans and null as they are, anything else by its type', () => {
    expect([1.5, Number.NaN, -Infinity, true, false, null].map(describeValue)).toEqual(['1.5', 'NaN', '-Infinity', 'true', 'false', 'null'])
    expect([undefined, 'p4ssw0rd', 10n, Symbol('s'), () => 1, {}, [1, 2]].map(describeValue)).toEqual([
      'undefined',
      'string',
      'bigint',
      'symbol',
      'function',
      'object',
      'an array',
    ])
  })

  it('never throws and never repeats a string, whatever the value', () => {
    const hostile = { toString: () => { throw new Error('no') }, [Symbol.toPrimitive]: () => { throw new Error('no') } }
    expect(describeValue(hostile)).toBe('object')
    expect(describeValue(Object.create(null))).toBe('object')
    expect(describeValue(new Proxy({}, { get: () => { throw new Error('trap') } }))).toBe('object')
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const shown = describeValue(value)
        expect(typeof shown).toBe('string')
        if (typeof value === 'string') expect(shown).toBe('string')
      }),
    )
  })
})

describe('parseHttpUrl', () => {
  it('returns http and https URLs (any case) parsed', () => {
    expect(parseHttpUrl('https://hooks.example.com/a?b=1', 'webhookUrl').href).toBe('https://hooks.example.com/a?b=1')
    expect(parseHttpUrl('HTTP://Example.COM:8080', 'publicUrl').origin).toBe('http://example.com:8080')
    expect(parseHttpUrl('https://例え.jp/パス', 'publicUrl').hostname).toBe('xn--r8jz45g.jp')
  })

  it.each([
    ['a number', 42, /^webhookUrl must be a string URL such as https:\/\/www\.example\.com\/, not 42$/],
    ['null', null, /not null$/],
    ['undefined', undefined, /not undefined$/],
    ['an object', { href: 'https://a.example/' }, /not object$/],
    ['an array', ['https://a.example/'], /not an array$/],
    ['a relative URL', '/hook', /must be an absolute http\(s\) URL/],
    ['a host without scheme', 'hooks.example.com/t', /must be an absolute http\(s\) URL/],
    ['the empty string', '', /must be an absolute http\(s\) URL/],
    ['an ftp URL', 'ftp://hooks.example.com/', /must use http or https, not "ftp:"/],
    ['a javascript: URL', 'javascript:alert(1)', /must use http or https, not "javascript:"/],
    ['a file URL', 'file:///etc/passwd', /must use http or https/],
    ['a final line break', 'https://hooks.example.com/t\n', /must not contain white space/],
    ['a tab inside', 'https://hooks.example.com/a\tb', /must not contain white space/],
    ['a space inside', 'https://hooks.example.com/a b', /must not contain white space/],
    ['a leading space', ' https://hooks.example.com/', /must not contain white space/],
  ])('refuses %s with ConfigurationError naming the option', (_what, value, message) => {
    const error = thrown(() => parseHttpUrl(value, 'webhookUrl'))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'ERR_PYTRACK_CONFIGURATION', setting: 'webhookUrl' })
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message.startsWith('webhookUrl ')).toBe(true)
  })

  it('blames options.setting and shows options.example', () => {
    const error = thrown(() => parseHttpUrl('nope', 'endpoints[2].url', { setting: 'endpoints', example: 'https://hooks.example.com/pytrack' }))
    expect(error).toMatchObject({ setting: 'endpoints', message: 'endpoints[2].url must be an absolute http(s) URL such as https://hooks.example.com/pytrack; got "nope"' })
  })

  it('repeats a public URL in the message but never a secret one', () => {
    for (const bad of ['hooks.example.com/s3cr3t', 'ftp://hooks.example.com/s3cr3t', 'https://hooks.example.com/s3cr3t\n', 's3cr3t:x', 'xoxb-s3cr3t:x']) {
      expect((thrown(() => parseHttpUrl(bad, 'baseUrl')) as Error).message).toContain('s3cr3t')
      expect((thrown(() => parseHttpUrl(bad, 'webhookUrl', { secret: true })) as Error).message).not.toContain('s3cr3t')
    }
    expect(() => parseHttpUrl('xoxb-s3cr3t:x', 'webhookUrl', { secret: true })).toThrow(/^webhookUrl must use http or https$/)
  })

  it('works or throws ConfigurationError for any input, and never echoes a secret', () => {
    const secret = 'S3cr3tT0ken'
    const withSecret = fc
      .tuple(
        fc.oneof(fc.constantFrom('http://', 'https://', 'HTTPS://', 'ftp://', '//', 'http:', 'javascript:', ''), fc.webUrl()),
        fc.string(),
        fc.string(),
      )
      .map(([start, middle, end]) => `${start}${middle}${secret}${end}`)
    fc.assert(
      fc.property(fc.oneof(fc.anything(), withSecret), (value) => {
        let url: URL
        try {
          url = parseHttpUrl(value, 'webhookUrl', { secret: true })
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError)
          expect((error as Error).message.toLowerCase()).not.toContain(secret.toLowerCase())
          return
        }
        expect(typeof value).toBe('string')
        expect(['http:', 'https:']).toContain(url.protocol)
        expect(value as string).not.toMatch(/\s/)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('parseHttpOrigin', () => {
  it('returns the origin as URL.origin writes it', () => {
    expect(parseHttpOrigin('https://hooks.example.com', 'o')).toBe('https://hooks.example.com')
    expect(parseHttpOrigin('HTTPS://Hooks.Example.COM:443/', 'o')).toBe('https://hooks.example.com')
    expect(parseHttpOrigin('http://127.0.0.1:8080', 'o')).toBe('http://127.0.0.1:8080')
    expect(parseHttpOrigin('http://[::1]:9', 'o')).toBe('http://[::1]:9')
    expect(parseHttpOrigin('https://例え.jp', 'o')).toBe('https://xn--r8jz45g.jp')
  })

  it.each([
    ['a path', 'https://hooks.example.com/hook'],
    ['a query', 'https://hooks.example.com/?a=1'],
    ['a lone ?', 'https://hooks.example.com?'],
    ['a lone #', 'https://hooks.example.com/#'],
    ['a fragment', 'https://hooks.example.com#x'],
    ['credentials', 'https://user:pw@hooks.example.com'],
    ['a user', 'https://user@hooks.example.com'],
  ])('refuses an origin with %s', (_what, value) => {
    const error = thrown(() => parseHttpOrigin(value, 'allowed[0]', { setting: 'allowed' }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ setting: 'allowed' })
    expect((error as Error).message).toMatch(/^allowed\[0\] must be an origin \(scheme, host and port\) such as https:\/\/www\.example\.com, without path/)
    expect((error as Error).message).toContain(value)
    expect((thrown(() => parseHttpOrigin(value, 'allowed[0]', { secret: true })) as Error).message).not.toContain(value)
  })

  it("refuses what parseHttpUrl refuses, with parseHttpUrl's message", () => {
    expect(() => parseHttpOrigin('ftp://hooks.example.com', 'o')).toThrow(/^o must use http or https/)
    expect(() => parseHttpOrigin(7, 'o')).toThrow(/^o must be a string URL such as https:\/\/www\.example\.com, not 7$/)
  })
})

describe('resolveConfiguration', () => {
  const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', webhookUrl: 'https://hooks.example.com/a' })

  it('gives the configuration itself when nothing overrides it, and the default one without options', () => {
    expect(resolveConfiguration({ configuration })).toBe(configuration)
    expect(resolveConfiguration({ configuration, requestData: undefined } as never)).toBe(configuration)
    expect(resolveConfiguration(undefined)).toBe(resolveConfiguration(null))
    expect(resolveConfiguration({}).baseClickTrackingUrl).toBeNull()
  })

  it('puts the fields given on top, for this call only, as getClickTrackingUrl does', () => {
    const resolved = resolveConfiguration({ configuration, appendSlash: true, webhookUrl: null })
    expect(resolved).toMatchObject({ appendSlash: true, webhookUrl: null, baseClickTrackingUrl: 'https://t.example.com/c/' })
    expect(configuration.appendSlash).toBe(false)
    expect(getClickTrackingUrl('https://e.com/', {}, { configuration, appendSlash: true })).toMatch(/\/$/)
  })

  it('reads only the fields it is given, leaving the caller’s own options alone', () => {
    const options = { configuration, appendSlash: true, webhookUrl: 'https://hooks.example.com/b', headers: { a: 'b' } }
    const resolved = resolveConfiguration(options, ['webhookUrl'])
    expect(resolved).toMatchObject({ appendSlash: false, webhookUrl: 'https://hooks.example.com/b' })
  })

  it("throws Configuration's own ConfigurationError for a wrong field", () => {
    const error = thrown(() => resolveConfiguration({ configuration, webhookUrl: 'ftp://hooks.example.com/s3cr3t' }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ setting: 'webhookUrl' })
    expect((error as Error).message).not.toContain('s3cr3t')
  })

  it.each([
    ['options that are not an object', 'configuration', /^options must be an object/],
    ['a configuration that is not one', { configuration: { baseClickTrackingUrl: 'https://t.example.com/c/' } }, /^options.configuration must be a Configuration/],
    ['a getter that throws', { get appendSlash(): boolean { throw new Error('boom') } }, /^options could not be read/],
    ['a Proxy that throws', new Proxy({}, { ownKeys: () => { throw new Error('trap') } }), /^options could not be read/],
  ])('throws InvalidArgumentError for %s', (_what, options, message) => {
    const error = thrown(() => resolveConfiguration(options as never))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(message)
  })
})
