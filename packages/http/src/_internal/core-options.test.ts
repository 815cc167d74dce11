import { describe, expect, it } from 'vitest'
import { Configuration, ConfigurationError, parseHttpOrigin } from '@pytrack/core'
import { checkCoreOptions } from './core-options'

describe('checkCoreOptions', () => {
  it('fills in the defaults', () => {
    const options = checkCoreOptions({})
    expect(options).toMatchObject({ prefix: undefined, openRoute: 'open', clickRoute: 'click', forwardedHeader: 'x-forwarded-for', isTrusted: undefined })
    expect(options.maxPathLength).toBe(options.configuration.maxLinkLength * 2)
    expect(options.classify).toBeTypeOf('function')
    expect(options.onHookError).toBeTypeOf('function')
    expect(options.recordEvent).toBeUndefined()
  })

  it('normalises the prefix to a leading slash and no trailing one', () => {
    expect(checkCoreOptions({ prefix: '/mail/' }).prefix).toBe('/mail')
    expect(checkCoreOptions({ prefix: 'mail' }).prefix).toBe('/mail')
    expect(checkCoreOptions({ prefix: '/' }).prefix).toBe('')
  })

  it('keeps a Configuration as given and builds one from its fields', () => {
    const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/' })
    expect(checkCoreOptions({ configuration }).configuration).toBe(configuration)
    expect(checkCoreOptions({ configuration: { baseOpenTrackingUrl: 'https://t.example.com/o/' } }).configuration.baseOpenTrackingUrl).toBe('https://t.example.com/o/')
  })

  it('trusts proxies only when some are listed, and turns classification off with false', () => {
    expect(checkCoreOptions({ trustedProxies: [] }).isTrusted).toBeUndefined()
    expect(checkCoreOptions({ trustedProxies: ['loopback'] }).isTrusted).toBeTypeOf('function')
    expect(checkCoreOptions({ classification: false }).classify).toBeUndefined()
  })

  it('redirects base64 links only where allowed, and any link of an authenticated codec', () => {
    const refused = expect.objectContaining({ code: 'ERR_PYTRACK_REDIRECT_REFUSED' })
    const locationFor = checkCoreOptions({ allowedDestinations: ['www.example.com'] }).locationFor
    expect(locationFor('https://www.example.com/a').location).toBe('https://www.example.com/a')
    expect(() => locationFor('https://evil.example/')).toThrow(refused)
    expect(() => checkCoreOptions({}).locationFor('https://www.example.com/')).toThrow(refused)
    expect(checkCoreOptions({ trustUnauthenticatedLinks: true }).locationFor('https://evil.example/').location).toBe('https://evil.example/')
  })

  it('refuses what cannot work with a ConfigurationError naming the option', () => {
    for (const [options, setting] of [
      [{ routes: { open: 'a', click: 'a' } }, 'routes'],
      [{ maxPathLength: 8 }, 'maxPathLength'],
      [{ onHookError: 1 }, 'onHookError'],
      [{ forwardedHeader: 'via' }, 'forwardedHeader'],
    ] as const) {
      expect(() => checkCoreOptions(options as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_CONFIGURATION', setting }))
    }
  })

  it("checks allowedDestinations origins by core's origin rule: the same ConfigurationError and message as parseHttpOrigin", () => {
    expect(checkCoreOptions({ allowedDestinations: ['HTTPS://Shop.Example.com:443'] }).locationFor('https://shop.example.com/a').allowed).toBe(true)
    for (const origin of ['https://shop.example.com/path', 'ftp://shop.example.com', 'https://user:pw@shop.example.com', 'https://shop.example.com?']) {
      let error: unknown
      try {
        checkCoreOptions({ allowedDestinations: ['www.example.com', origin] })
      } catch (thrown) {
        error = thrown
      }
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error).toMatchObject({ setting: 'allowedDestinations' })
      expect(() => parseHttpOrigin(origin, 'allowedDestinations[1]', { example: 'https://shop.example.com' })).toThrow((error as Error).message)
    }
  })
})
