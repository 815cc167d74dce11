import { describe, expect, it } from 'vitest'
import { Configuration, type ConfigurationError, getClickTrackingUrl, getOpenTrackingUrl, isPytrackError, type PytrackError } from '@pytrack/core'
import { fernetCodec, signedCodec } from '@pytrack/crypto'
import { createTrackingHandler, type TrackingHandler } from './index'
import { describeTrackingBehaviour } from '../test/behaviour-suite'
import { mountFor, serveFetch } from '../test/servers'
// Hooks run after the answer, in a later loop turn: settle() lets that turn run (no I/O here).
import { settle } from '../../../test-utils/wait'
import { unruledClickLink } from '../../../test-utils/pytracking'

// The Web-standard handler itself, served as a fetch function by @hono/node-server.
describeTrackingBehaviour('Web-standard handler', async (mounts) => {
  const handlers = mounts.map((mount) => createTrackingHandler(mount.options))
  return serveFetch((request, env) => {
    const handler = mountFor(mounts, handlers, new URL(request.url).pathname)
    if (!handler) return new Response('no mount here', { status: 404 })
    return handler(request, { remoteAddress: env.incoming.socket.remoteAddress })
  })
})

const BASE = { baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' }
const call = (handler: TrackingHandler, path: string, init?: RequestInit): Promise<Response> =>
  handler(new Request(`https://t.example.com${path}`, init), { remoteAddress: '::ffff:192.0.2.1' })
const token = (link: string): string => link.slice(link.lastIndexOf('/') + 1)

describe('createTrackingHandler', () => {
  it('refuses a 100 KB path with 414 before decoding, and reports it', async () => {
    const errors: PytrackError[] = []
    const handler = createTrackingHandler({ onDecodingError: (error) => void errors.push(error) })
    const response = await call(handler, `/open/${'A'.repeat(100_000)}`)
    expect(response.status).toBe(414)
    await settle()
    expect(errors.map((error) => error.code)).toEqual(['ERR_PYTRACK_LINK_TOO_LONG'])
    expect(errors[0]?.message).not.toContain('AAAA')
  })

  it('redirects links sealed by authenticated codecs (Fernet, signed) anywhere http(s), without an allow-list', async () => {
    const key = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
    for (const codec of [fernetCodec(key), signedCodec('a secret of at least thirty-two characters!!')]) {
      const configuration = new Configuration({ ...BASE, codec })
      const handler = createTrackingHandler({ configuration })
      const link = getClickTrackingUrl('https://anywhere.example/x', null, { configuration })
      const response = await call(handler, `/click/${token(link)}`)
      expect(response.status, codec.name).toBe(302)
      expect(response.headers.get('location')).toBe('https://anywhere.example/x')
      expect((await call(handler, `/click/${token(unruledClickLink('javascript:alert(1)', configuration))}`)).status).toBe(404)
      // A base64 link on an authenticated handler does not decode.
      expect((await call(handler, `/click/${token(getClickTrackingUrl('https://x.example/', null, BASE))}`)).status).toBe(404)
    }
  })

  it('refuses destinations whose host changes once encoded for Location (a backslash a browser reads as a slash)', async () => {
    const handler = createTrackingHandler({ trustUnauthenticatedLinks: true })
    for (const destination of ['https://www.example.com\\@evil.example/', 'https://www.example.com\\@evil.example', '//www.example.com\\@evil.example/x']) {
      const response = await call(handler, `/click/${token(unruledClickLink(destination, new Configuration(BASE)))}`)
      expect(response.status, destination).toBe(404)
      expect(response.headers.get('location')).toBeNull()
    }
    // The same host before and after encoding still redirects; a backslash in the query is encoded.
    for (const [destination, location] of [
      ['https://www.example.com/a?b\\c', 'https://www.example.com/a?b%5Cc'],
      ['https://例え.jp/パス', 'https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9'],
      ['https://user@www.example.com/', 'https://user@www.example.com/'],
    ] as const) {
      const response = await call(handler, `/click/${token(getClickTrackingUrl(destination, null, BASE))}`)
      expect(response.status, destination).toBe(302)
      expect(response.headers.get('location')).toBe(location)
    }
  })

  it('checks allowedDestinations functions, and treats a throwing one as a refusal', async () => {
    const errors: PytrackError[] = []
    const handler = createTrackingHandler({
      configuration: BASE,
      allowedDestinations: (url) => {
        if (url.hostname === 'throws.example') throw new Error('predicate bug')
        return url.pathname.startsWith('/ok/')
      },
      onDecodingError: (error) => void errors.push(error),
    })
    expect((await call(handler, `/click/${token(getClickTrackingUrl('https://a.example/ok/1', null, BASE))}`)).status).toBe(302)
    expect((await call(handler, `/click/${token(getClickTrackingUrl('https://a.example/no', null, BASE))}`)).status).toBe(404)
    expect((await call(handler, `/click/${token(getClickTrackingUrl('https://throws.example/ok/', null, BASE))}`)).status).toBe(404)
    await settle()
    expect(errors.map((error) => (error as PytrackError & { reason: string }).reason)).toEqual(['not-allowed', 'not-allowed'])
    expect(errors[1]?.cause).toEqual(new Error('predicate bug'))
  })

  it('gives allowedDestinations functions a fresh URL each time, so a mutation cannot leak into later checks', async () => {
    const seen: string[] = []
    const handler = createTrackingHandler({
      configuration: BASE,
      allowedDestinations: (url) => {
        seen.push(url.hostname)
        const ok = url.hostname === 'ok.example'
        url.hostname = 'ok.example'
        return ok
      },
    })
    const link = `/click/${token(getClickTrackingUrl('https://bad.example/', null, BASE))}`
    expect((await call(handler, link)).status).toBe(404)
    const again = await call(handler, link)
    expect(again.status).toBe(404)
    expect(again.headers.get('location')).toBeNull()
    expect(seen).toEqual(['bad.example', 'bad.example'])
  })

  it('reports IPv4-mapped socket addresses as plain IPv4, and omits labels when classification is off', async () => {
    let data: unknown
    const handler = createTrackingHandler({ classification: false, onTrackingEvent: (result) => void (data = result.requestData) })
    expect((await call(handler, `/open/${token(getOpenTrackingUrl({ a: 1 }, BASE))}`)).status).toBe(200)
    await settle()
    expect(data).toMatchObject({ user_ip: '192.0.2.1', method: 'GET', referer: null })
    expect(data).not.toHaveProperty('client_kind')
  })

  it('keeps hooks alive with context.waitUntil until they settle', async () => {
    const waited: Promise<unknown>[] = []
    let finish: () => void = () => {}
    const handler = createTrackingHandler({ onTrackingEvent: () => new Promise<void>((resolve) => (finish = resolve)) })
    const response = await handler(new Request(`https://t.example.com/open/e30=`), { waitUntil: (promise) => void waited.push(promise) })
    expect(response.status).toBe(200)
    expect(waited).toHaveLength(1)
    let settled = false
    void waited[0]?.then(() => (settled = true))
    await settle()
    expect(settled).toBe(false)
    finish()
    await settle()
    expect(settled).toBe(true)
  })

  it('waits for any thenable recordEvent returns, and keeps onTrackingEvent alive with waitUntil after it', async () => {
    const order: string[] = []
    const waited: Promise<unknown>[] = []
    let resolveRecord: (value: unknown) => void = () => {}
    const handler = createTrackingHandler({
      // A thenable that is not a native Promise, as some database clients return.
      recordEvent: () => ({ then: (resolve: (value: unknown) => void) => (resolveRecord = resolve) }),
      onTrackingEvent: () => void order.push('event'),
    })
    const answer = handler(new Request('https://t.example.com/open/e30='), { waitUntil: (promise) => void waited.push(promise) })
      .then((response) => (order.push('answer'), response))
    await settle()
    expect(order).toEqual([])
    resolveRecord(undefined)
    expect((await answer).status).toBe(200)
    await Promise.all(waited)
    expect(order).toEqual(['answer', 'event'])
    expect(waited).toHaveLength(1)
  })

  it('uses console.error for hook failures when no onHookError is given, and never rejects', async () => {
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void logged.push(args)
    try {
      const handler = createTrackingHandler({
        onTrackingEvent: () => {
          throw new Error('oops')
        },
      })
      expect((await call(handler, '/open/e30=')).status).toBe(200)
      await settle()
      expect(logged).toHaveLength(1)
    } finally {
      console.error = original
    }
  })

  it('answers 404 for paths that are not tracking routes, and 500 (never a rejection) for a non-Request', async () => {
    const handler = createTrackingHandler({ onHookError: () => {} })
    expect((await call(handler, '/')).status).toBe(404)
    expect((await call(handler, '/open')).status).toBe(404)
    expect((await handler({} as Request)).status).toBe(500)
  })

  it('respects a strict prefix and renamed multi-segment routes', async () => {
    const handler = createTrackingHandler({ prefix: '/mail/', routes: { open: 'px/o', click: 'go' } })
    expect((await call(handler, '/mail/px/o/e30=')).status).toBe(200)
    expect((await call(handler, '/other/mail/px/o/e30=')).status).toBe(404)
    expect((await call(handler, '/mail/open/e30=')).status).toBe(404)
  })

  it('throws ConfigurationError for options that cannot work, saying which', () => {
    // [options, message, the option named in error.setting]
    const bad: [unknown, RegExp, string | undefined][] = [
      [{ trustedProxies: ['10.0.0.0/33'] }, /trustedProxies entry "10.0.0.0\/33"/, 'trustedProxies'],
      [{ trustedProxies: 'loopback' }, /trustedProxies must be an array/, 'trustedProxies'],
      [{ allowedDestinations: ['https://x.example/path'] }, /without path/, 'allowedDestinations'],
      [{ allowedDestinations: ['a b'] }, /not a host name/, 'allowedDestinations'],
      [{ allowedDestinations: 'x.example' }, /allowedDestinations must be an array/, 'allowedDestinations'],
      [{ routes: { open: '/open/' } }, /routes.open/, 'routes'],
      [{ routes: { open: 'x', click: 'x' } }, /must differ/, 'routes'],
      [{ prefix: '/t?x' }, /prefix must be a path/, 'prefix'],
      [{ forwardedHeader: 'x-real-ip' }, /forwardedHeader/, 'forwardedHeader'],
      [{ trustUnauthenticatedLinks: 'yes' }, /trustUnauthenticatedLinks/, 'trustUnauthenticatedLinks'],
      [{ classification: { applePrivateRelayRanges: ['nope'] } }, /applePrivateRelayRanges entry "nope"/, 'classification'],
      [{ classification: 'on' }, /classification must be/, 'classification'],
      [{ maxPathLength: 1.5 }, /maxPathLength/, 'maxPathLength'],
      [{ onTrackingEvent: 'log' }, /onTrackingEvent must be a function/, 'onTrackingEvent'],
      [{ recordEvent: 'db' }, /recordEvent must be a function/, 'recordEvent'],
      [{ configuration: { baseOpenTrackingUrl: 'nope' } }, /baseOpenTrackingUrl/, 'baseOpenTrackingUrl'],
      [{ configuration: 'nope' }, /configuration must be a Configuration/, 'configuration'],
      [null, /object of options/, undefined],
    ]
    for (const [options, message, setting] of bad) {
      let caught: unknown
      try {
        createTrackingHandler(options as never)
      } catch (error) {
        caught = error
      }
      expect(isPytrackError(caught, 'ERR_PYTRACK_CONFIGURATION'), String(message)).toBe(true)
      expect((caught as Error).message).toMatch(message)
      expect((caught as ConfigurationError).setting, String(message)).toBe(setting)
    }
  })
})
