// The one behaviour suite every adapter must pass, over real HTTP on 127.0.0.1. Each adapter's
// test file calls describeTrackingBehaviour() with a factory that mounts handlers under
// prefixes on a real server it starts on port 0.
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '@pytrack/crypto'
import {
  Configuration,
  getClickTrackingUrl,
  getOpenTrackingUrl,
  isPytrackError,
  type PytrackError,
  type PytrackingSettings,
  type TrackingResult,
} from '@pytrack/core'
import { unruledClickLink } from '../../../test-utils/pytracking'
import { loadVectors } from '../../../test-utils/vectors'
import { createWatch, settle } from '../../../test-utils/wait'
import type { TrackingContext, TrackingHandlerOptions } from '../src/index'

export interface Mount {
  /** Where the handler is mounted, e.g. `/t`. */
  prefix: string
  options: TrackingHandlerOptions
}

export interface TestServer {
  origin: string
  close(): Promise<void>
}

export type ServerFactory = (mounts: readonly Mount[]) => Promise<TestServer>

interface EncodeCase {
  name: string
  kind: 'open' | 'click'
  config: PytrackingSettings
  url: string
  url_to_track?: string
  result: { is_open_tracking: boolean; is_click_tracking: boolean; tracked_url: string | null; webhook_url: string | null; metadata: Record<string, unknown> }
}
interface VectorFile<T> {
  meta: { pixel_png_base64: string }
  cases: T[]
}

interface Seen {
  id: string | null
  mount: string
  result: TrackingResult
  request: Request
  context: TrackingContext
}
interface Recorded {
  id: string | null
  result: TrackingResult
  request: Request
  context: TrackingContext
  /** Whether onTrackingEvent had already seen this hit when recordEvent was called. */
  eventSeenFirst: boolean
}
interface SeenError {
  id: string | null
  mount: string
  error: PytrackError
}

const BASE = { baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' }
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
)
const NO_CACHE = 'no-store, no-cache, must-revalidate, private'
const BROWSER = {
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
  accept: 'image/webp,*/*',
  'accept-language': 'en-GB',
}
const APPLE_RANGE = '172.225.0.0/16'

/** The link's path (token, and `/` when pytracking appended one). */
function tokenPath(link: string): string {
  const match = /\/([^/]+\/?)$/.exec(link)
  if (!match?.[1]) throw new Error(`no token in ${link}`)
  return match[1]
}

// Reference for Django's iri_to_uri, byte by byte over UTF-8 (Python's quote with its safe set).
const SAFE_BYTES = new Set([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/#%[]=:;$&()+,!?*@'"].map((c) => c.charCodeAt(0)))
function djangoIriToUri(iri: string): string {
  let out = ''
  for (const byte of Buffer.from(iri, 'utf8')) {
    out += SAFE_BYTES.has(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

export function describeTrackingBehaviour(name: string, factory: ServerFactory): void {
  describe(`${name}: tracking behaviour over real HTTP`, () => {
    const events: Seen[] = []
    const errors: SeenError[] = []
    const hookErrors: unknown[] = []
    let server: TestServer
    let release: (() => void) | undefined
    const recorded: Recorded[] = []
    const held = new Map<string, () => void>()
    // Every hook below notifies after recording what it saw, so tests wait for that event.
    const watch = createWatch()
    const waitFor = <T>(find: () => T | undefined): Promise<T> => watch.until(find)

    const hooks = (mount: string): TrackingHandlerOptions => ({
      onTrackingEvent(result, request, context) {
        const id = request.headers.get('x-test-id')
        events.push({ id, mount, result, request, context })
        watch.notify()
        if (request.headers.get('x-hook') === 'hold') return new Promise<void>((resolve) => (release = resolve))
        return undefined
      },
      onDecodingError(error, request) {
        errors.push({ id: request.headers.get('x-test-id'), mount, error })
        watch.notify()
      },
      onHookError(error) {
        hookErrors.push(error)
        watch.notify()
      },
    })

    const encodeFiles = loadVectors<VectorFile<EncodeCase>>('pytracking/encode.json')
    const encryptedFiles = loadVectors<VectorFile<EncodeCase>>('pytracking/encrypted.json')
    const vectorMounts: { prefix: string; testCase: EncodeCase; source: string }[] = []
    for (const [label, files] of [['plain', encodeFiles], ['fernet', encryptedFiles]] as const) {
      for (const file of files) {
        file.data.cases.forEach((testCase, index) => {
          vectorMounts.push({ prefix: `/v/${label}-${file.source}-${index}`, testCase, source: `${label} ${file.source}` })
        })
      }
    }

    beforeAll(async () => {
      const mounts: Mount[] = [
        {
          prefix: '/t',
          options: {
            ...hooks('/t'),
            prefix: '/t',
            configuration: BASE,
            allowedDestinations: ['www.example.com', '*.example.org', 'https://shop.example.net', '例え.jp'],
          },
        },
        {
          prefix: '/loose',
          options: { ...hooks('/loose'), configuration: BASE, routes: { open: 'o', click: 'c' }, trustUnauthenticatedLinks: true },
        },
        {
          prefix: '/proxied',
          options: {
            ...hooks('/proxied'),
            prefix: '/proxied',
            configuration: BASE,
            trustedProxies: ['loopback', 'private'],
            classification: { applePrivateRelayRanges: [APPLE_RANGE] },
          },
        },
        {
          prefix: '/forwarded',
          options: { ...hooks('/forwarded'), prefix: '/forwarded', configuration: BASE, trustedProxies: ['127.0.0.1'], forwardedHeader: 'forwarded' },
        },
        {
          // recordEvent, driven by the x-record header: sync (none), hold (until the test lets
          // go), reject or throw.
          prefix: '/recorded',
          options: {
            ...hooks('/recorded'),
            prefix: '/recorded',
            configuration: BASE,
            allowedDestinations: ['www.example.com'],
            recordEvent(result, request, context) {
              const id = request.headers.get('x-test-id')
              recorded.push({ id, result, request, context, eventSeenFirst: events.some((event) => event.id === id) })
              watch.notify()
              switch (request.headers.get('x-record')) {
                case 'hold':
                  return new Promise<void>((resolve) => held.set(id ?? '', resolve))
                case 'reject':
                  return Promise.reject(new Error('recorder rejected'))
                case 'throw':
                  throw new Error('recorder threw')
                default:
                  return undefined
              }
            },
          },
        },
        {
          prefix: '/throwing',
          options: {
            prefix: '/throwing',
            configuration: BASE,
            trustUnauthenticatedLinks: true,
            onTrackingEvent(_result, request) {
              if (request.headers.get('x-hook') === 'reject') return Promise.reject(new Error('hook rejected'))
              throw new Error('hook threw')
            },
            onDecodingError() {
              throw new Error('decoding hook threw')
            },
            onHookError(error) {
              hookErrors.push(error)
              watch.notify()
              throw new Error('even the error hook throws')
            },
          },
        },
        ...vectorMounts.map(({ prefix, testCase }) => ({
          prefix,
          options: {
            ...hooks(prefix),
            prefix,
            configuration: Configuration.fromPytracking(testCase.config),
            trustUnauthenticatedLinks: true,
          },
        })),
      ]
      server = await factory(mounts)
    })
    afterAll(async () => {
      release?.()
      for (const resolve of held.values()) resolve()
      await server?.close()
    })

    const get = async (
      path: string,
      init: { method?: string; headers?: Record<string, string> } = {},
    ): Promise<{ response: Response; body: Buffer; id: string }> => {
      const id = randomUUID()
      const response = await fetch(server.origin + path, {
        method: init.method ?? 'GET',
        redirect: 'manual',
        headers: { ...BROWSER, 'x-test-id': id, ...init.headers },
      })
      const body = Buffer.from(await response.arrayBuffer())
      return { response, body, id }
    }
    const eventFor = (id: string): Promise<Seen> => waitFor(() => events.find((event) => event.id === id))
    const errorFor = (id: string): Promise<SeenError> => waitFor(() => errors.find((error) => error.id === id))
    const openPath = (mount: string, metadata: Record<string, string | number> = { customer_id: 7 }): string =>
      `${mount}/open/${tokenPath(getOpenTrackingUrl(metadata, BASE))}`
    const clickPath = (mount: string, destination: string): string =>
      `${mount}/click/${tokenPath(getClickTrackingUrl(destination, { customer_id: 7 }, BASE))}`
    // A hook-free request answered after `id`'s; hooks run in order, so by then any hook for `id` has run.
    const noHookFor = async (id: string): Promise<void> => {
      const { id: later } = await get(openPath('/t'))
      await eventFor(later)
      await settle()
      expect(events.some((event) => event.id === id)).toBe(false)
      expect(errors.some((error) => error.id === id)).toBe(false)
    }

    it('answers an open with the 68-byte PNG, uncacheable, and reports it with request data', async () => {
      const { response, body, id } = await get(openPath('/t'), { headers: { referer: 'https://mail.example.com/' } })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/png')
      expect(response.headers.get('cache-control')).toBe(NO_CACHE)
      expect(response.headers.get('content-length')).toBe('68')
      expect(body.equals(PIXEL)).toBe(true)
      const { result, request } = await eventFor(id)
      expect(result.isOpenTracking).toBe(true)
      expect(result.metadata).toEqual({ customer_id: 7 })
      expect(result.requestData).toMatchObject({
        user_agent: BROWSER['user-agent'],
        user_ip: '127.0.0.1',
        method: 'GET',
        referer: 'https://mail.example.com/',
        client_kind: 'human',
        client_reason: 'no machine signal',
      })
      expect(Date.parse(String(result.requestData?.request_time))).toBeGreaterThan(Date.parse('2020-01-01'))
      expect(request).toBeInstanceOf(Request)
      expect(new URL(request.url).pathname).toBe(openPath('/t'))
    })

    it('serves the routes with and without a trailing slash, and ignores a query string', async () => {
      expect((await get(`${openPath('/t')}/`)).response.status).toBe(200)
      expect((await get(`${openPath('/t')}?utm_source=x`)).response.status).toBe(200)
      const { response } = await get(`${clickPath('/t', 'https://www.example.com/a')}/`)
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('https://www.example.com/a')
    })

    it('redirects a click to an allowed destination with 302 and reports the click', async () => {
      const destination = 'https://www.example.com/products/autumn-sale?utm_source=newsletter&utm_medium=email'
      const { response, id } = await get(clickPath('/t', destination))
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(destination)
      expect(response.headers.get('cache-control')).toBe(NO_CACHE)
      const { result } = await eventFor(id)
      expect(result.isClickTracking).toBe(true)
      expect(result.trackedUrl).toBe(destination)
      for (const allowed of ['https://a.b.example.org/x', 'https://shop.example.net/cart']) {
        expect((await get(clickPath('/t', allowed))).response.status).toBe(302)
      }
    })

    it('refuses destinations outside the allow-list for unauthenticated (base64) links, with 404 and onDecodingError', async () => {
      for (const destination of ['https://evil.example.com/', 'http://shop.example.net/', 'https://example.org/', 'https://www.example.com.evil.io/']) {
        const { response, id } = await get(clickPath('/t', destination))
        expect(response.status).toBe(404)
        expect(response.headers.get('location')).toBeNull()
        const { error } = await errorFor(id)
        expect(isPytrackError(error, 'ERR_PYTRACK_REDIRECT_REFUSED')).toBe(true)
        expect((error as PytrackError & { reason: string }).reason).toBe('not-allowed')
        expect(error.message).not.toContain('evil')
        expect(events.some((event) => event.id === id)).toBe(false)
      }
    })

    it('never redirects to javascript:, data: or other non-http destinations, even when trusting every link', async () => {
      // Links made without core's destination rule (by pytracking, or forged): the handler applies it.
      for (const destination of ['javascript:alert(1)', 'JavaScript:alert(document.cookie)', 'data:text/html,<script>1</script>', ' javascript:x', 'ftp://x.example.com/', '/relative']) {
        const { response, id } = await get(`/loose/c/${tokenPath(unruledClickLink(destination, new Configuration(BASE)))}`)
        expect(response.status).toBe(404)
        const { error } = await errorFor(id)
        expect(isPytrackError(error, 'ERR_PYTRACK_REDIRECT_REFUSED')).toBe(true)
        expect((error as PytrackError & { reason: string }).reason).toBe('not-http')
      }
      for (const destination of ['https://', 'https://exa mple.com/', 'http://[::1/', 'https://\\evil.com/', 'https:/\\evil.com', 'https:/e.com/x', 'https:e.com/x', 'https://e.com\\x', 'https://e.com:8080\\x', 'https://e.com/\ud800']) {
        const { response, id } = await get(`/loose/c/${tokenPath(unruledClickLink(destination, new Configuration(BASE)))}`)
        expect(response.status, destination).toBe(404)
        expect(((await errorFor(id)).error as PytrackError & { reason: string }).reason).toBe('invalid-url')
      }
    })

    it('percent-encodes non-ASCII in Location as Django does, and refuses CR and LF, so headers cannot be injected', async () => {
      for (const destination of ['https://www.example.com/\r\nSet-Cookie: stolen=1', 'https://www.example.com/a\nb\rc']) {
        const { response } = await get(`/t/click/${tokenPath(unruledClickLink(destination, new Configuration(BASE)))}`)
        expect(response.status).toBe(404)
        expect(response.headers.get('set-cookie')).toBeNull()
      }
      const cases: [string, string][] = [
        ['https://例え.jp/パス?q=値', 'https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9?q=%E5%80%A4'],
        ['https://www.example.com/"<>^`{|}?\\', 'https://www.example.com/%22%3C%3E%5E%60%7B%7C%7D?%5C'],
        ['https://www.example.com/😀?é=ü#frag', 'https://www.example.com/%F0%9F%98%80?%C3%A9=%C3%BC#frag'],
      ]
      for (const [destination, location] of cases) {
        const { response } = await get(clickPath('/t', destination))
        expect(response.status).toBe(302)
        expect(response.headers.get('location')).toBe(location)
        expect(response.headers.get('set-cookie')).toBeNull()
      }
    })

    it('resolves protocol-relative destinations (//host/path, which pytracking tracks) to https', async () => {
      const { response } = await get(`/loose/c/${tokenPath(getClickTrackingUrl('//cdn.example.net/a b', null, BASE))}`)
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('https://cdn.example.net/a%20b')
    })

    it('answers 404 after onDecodingError for a click link without URL and for garbage tokens', async () => {
      const openToken = tokenPath(getOpenTrackingUrl({ a: 1 }, BASE))
      const noUrl = await get(`/t/click/${openToken}`)
      expect(noUrl.response.status).toBe(404)
      expect(isPytrackError((await errorFor(noUrl.id)).error, 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
      const garbage = ['%E0%A4%A', '%0D%0ASet-Cookie:%20x=1', '..%2F..%2Fetc%2Fpasswd', 'e30%00']
      for (const token of garbage) {
        for (const route of ['open', 'click']) {
          const { response, id } = await get(`/t/${route}/${token}`)
          // Fastify's router answers 400 itself for a malformed percent-escape: it cannot route the path.
          if (token === '%E0%A4%A' && response.status === 400) continue
          expect(response.status, `${route}/${token}`).toBe(404)
          expect(isPytrackError((await errorFor(id)).error)).toBe(true)
        }
      }
    })

    it('refuses every path pytracking refuses (decode-errors.json) with 404', async () => {
      for (const file of loadVectors<VectorFile<{ name: string; path: string; pytracking_raises: boolean }>>('pytracking/decode-errors.json')) {
        for (const testCase of file.data.cases.filter((item) => item.pytracking_raises)) {
          for (const route of ['open', 'click']) {
            const { response, id } = await get(`/t/${route}/${encodeURI(testCase.path)}`)
            expect(response.status, `${file.source} ${testCase.name}`).toBe(404)
            // An empty token is no tracking route at all: no hook then.
            if (testCase.path !== '') expect(isPytrackError((await errorFor(id)).error)).toBe(true)
          }
        }
      }
    })

    it('survives arbitrary tokens (property): 200, 302 or 404, never a crash', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), fc.constantFrom('open', 'click'), async (text, route) => {
          const token = encodeURIComponent(text)
          const { response } = await get(`/t/${route}/${token}`)
          expect([200, 302, 404]).toContain(response.status)
        }),
        { numRuns: 40 },
      )
      expect((await get(openPath('/t'))).response.status).toBe(200)
    })

    it('refuses over-long paths before decoding: 414 (or 431 from the server for 100 KB), and keeps serving', async () => {
      const tenKb = await get(`/t/open/${'A'.repeat(10_000)}`)
      expect(tenKb.response.status).toBe(414)
      expect(isPytrackError((await errorFor(tenKb.id)).error, 'ERR_PYTRACK_LINK_TOO_LONG')).toBe(true)
      const longQuery = await get(`${openPath('/t')}?q=${'x'.repeat(6000)}`)
      expect(longQuery.response.status).toBe(414)
      let status: number
      try {
        status = (await get(`/t/click/${'A'.repeat(100_000)}`)).response.status
      } catch {
        status = 431 // the server may close the connection after its 431
      }
      expect([414, 431]).toContain(status)
      expect((await get(openPath('/t'))).response.status).toBe(200)
    })

    it('answers other methods with 405 and Allow: GET, HEAD, without calling hooks', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const { response, id } = await get(openPath('/t'), { method })
        expect(response.status, method).toBe(405)
        expect(response.headers.get('allow')).toBe('GET, HEAD')
        await noHookFor(id)
      }
      const post = await fetch(server.origin + clickPath('/t', 'https://www.example.com/'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      })
      expect(post.status).toBe(405)
    })

    it('answers HEAD without a body, and labels it a preview bot', async () => {
      const open = await get(openPath('/t'), { method: 'HEAD' })
      expect(open.response.status).toBe(200)
      expect(open.body.length).toBe(0)
      expect(open.response.headers.get('content-type')).toBe('image/png')
      const { result } = await eventFor(open.id)
      expect(result.requestData).toMatchObject({ method: 'HEAD', client_kind: 'preview-bot' })
      const click = await get(clickPath('/t', 'https://www.example.com/'), { method: 'HEAD' })
      expect(click.response.status).toBe(302)
      expect(click.response.headers.get('location')).toBe('https://www.example.com/')
      expect(click.body.length).toBe(0)
    })

    it('leaves paths that are not tracking routes alone (404, no hooks)', async () => {
      for (const path of ['/t/other/e30=', '/t/open/', '/t/open', '/t/x/open/e30=', '/elsewhere/open/e30=']) {
        const { response, id } = await get(path)
        expect(response.status, path).toBe(404)
        await noHookFor(id)
      }
    })

    it('matches routes under any prefix when no prefix is set, with renamed routes', async () => {
      const { response, id } = await get(`/loose/deep/er/o/${tokenPath(getOpenTrackingUrl({ a: 1 }, BASE))}`)
      expect(response.status).toBe(200)
      expect((await eventFor(id)).mount).toBe('/loose')
      expect((await get(`/loose/open/${tokenPath(getOpenTrackingUrl({ a: 1 }, BASE))}`)).response.status).toBe(404)
    })

    it('never waits for hooks, and survives hooks that throw or reject', async () => {
      const held = await get(openPath('/t'), { headers: { 'x-hook': 'hold' } })
      expect(held.response.status).toBe(200) // answered while the hook's promise is still pending
      await eventFor(held.id)
      release?.()
      const before = hookErrors.length
      expect((await get(`/throwing/open/${tokenPath(getOpenTrackingUrl({ a: 1 }, BASE))}`)).response.status).toBe(200)
      expect(
        (await get(`/throwing/click/${tokenPath(getClickTrackingUrl('https://x.example.com/', null, BASE))}`, { headers: { 'x-hook': 'reject' } })).response.status,
      ).toBe(302)
      expect((await get('/throwing/open/!!!!')).response.status).toBe(404)
      const messages = await waitFor(() => (hookErrors.length >= before + 3 ? hookErrors.slice(before).map((e) => (e as Error).message) : undefined))
      expect(messages.sort()).toEqual(['decoding hook threw', 'hook rejected', 'hook threw'])
      expect((await get(`/throwing/open/${tokenPath(getOpenTrackingUrl({ a: 1 }, BASE))}`)).response.status).toBe(200)
    })

    describe('recordEvent', () => {
      const recordedFor = (id: string): Promise<Recorded> => waitFor(() => recorded.find((entry) => entry.id === id))

      // Asserts order, not time: the client can only see the answer after the test let the
      // recorder resolve. (The round trip of another hit before letting go only gives a handler
      // that did not wait the chance to answer early, which then fails the test: such a handler
      // writes its answer when recordEvent returns, before it reads the later request.)
      const answeredAfterRecording = async (path: string, method = 'GET'): Promise<{ response: Response; body: Buffer; id: string }> => {
        const id = randomUUID()
        let recordedBeforeAnswer: boolean | undefined
        let resolved = false
        const answer = fetch(server.origin + path, {
          method,
          redirect: 'manual',
          headers: { ...BROWSER, 'x-test-id': id, 'x-record': 'hold' },
        }).then(async (response) => {
          recordedBeforeAnswer = resolved
          return { response, body: Buffer.from(await response.arrayBuffer()), id }
        })
        const entry = await recordedFor(id)
        expect(entry.eventSeenFirst).toBe(false)
        await eventFor((await get(openPath('/t'))).id)
        await settle()
        expect(recordedBeforeAnswer).toBeUndefined()
        expect(events.some((event) => event.id === id)).toBe(false) // onTrackingEvent comes after
        resolved = true
        held.get(id)?.()
        const result = await answer
        expect(recordedBeforeAnswer).toBe(true)
        return result
      }

      it('answers a pixel only after the promise recordEvent returned has resolved, then calls onTrackingEvent', async () => {
        const { response, body, id } = await answeredAfterRecording(openPath('/recorded'))
        expect(response.status).toBe(200)
        expect(body.equals(PIXEL)).toBe(true)
        const entry = await recordedFor(id)
        expect(entry.result.isOpenTracking).toBe(true)
        expect(entry.result.metadata).toEqual({ customer_id: 7 })
        expect(entry.result.requestData).toMatchObject({ user_ip: '127.0.0.1', method: 'GET', client_kind: 'human' })
        expect(entry.request).toBeInstanceOf(Request)
        expect(entry.context.remoteAddress).toMatch(/127\.0\.0\.1$/)
        expect((await eventFor(id)).result).toBe(entry.result)
      })

      it('answers a redirect only after recording, and HEAD too (without a body)', async () => {
        const click = await answeredAfterRecording(clickPath('/recorded', 'https://www.example.com/r'))
        expect(click.response.status).toBe(302)
        expect(click.response.headers.get('location')).toBe('https://www.example.com/r')
        const head = await answeredAfterRecording(openPath('/recorded'), 'HEAD')
        expect(head.response.status).toBe(200)
        expect(head.body.length).toBe(0)
        expect((await recordedFor(head.id)).result.requestData).toMatchObject({ method: 'HEAD', client_kind: 'preview-bot' })
      })

      it('answers at once with a recorder that returns nothing, and calls it before onTrackingEvent', async () => {
        const { response, id } = await get(openPath('/recorded'))
        expect(response.status).toBe(200)
        expect((await recordedFor(id)).eventSeenFirst).toBe(false)
        await eventFor(id)
      })

      it('answers 503 with Retry-After: 1 when recordEvent rejects or throws, reports the error and skips onTrackingEvent', async () => {
        for (const mode of ['reject', 'throw']) {
          const before = hookErrors.length
          const open = await get(openPath('/recorded'), { headers: { 'x-record': mode } })
          expect(open.response.status, mode).toBe(503)
          expect(open.response.headers.get('retry-after')).toBe('1')
          expect(open.response.headers.get('content-type')).not.toBe('image/png')
          expect(open.body.equals(PIXEL)).toBe(false)
          const click = await get(clickPath('/recorded', 'https://www.example.com/'), { headers: { 'x-record': mode } })
          expect(click.response.status).toBe(503)
          expect(click.response.headers.get('location')).toBeNull()
          const head = await get(openPath('/recorded'), { method: 'HEAD', headers: { 'x-record': mode } })
          expect(head.response.status).toBe(503)
          expect(head.body.length).toBe(0)
          const messages = await waitFor(() => (hookErrors.length >= before + 3 ? hookErrors.slice(before).map((e) => (e as Error).message) : undefined))
          expect(messages).toEqual(Array(3).fill(mode === 'reject' ? 'recorder rejected' : 'recorder threw'))
          for (const { id } of [open, click, head]) {
            expect(recorded.some((entry) => entry.id === id)).toBe(true)
            await noHookFor(id)
          }
        }
        expect((await get(openPath('/recorded'))).response.status).toBe(200)
      })

      it('is not called for links that do not decode, refused destinations, other methods or long paths', async () => {
        const cases: [string, string, number][] = [
          ['GET', '/recorded/open/!!!!', 404],
          ['GET', clickPath('/recorded', 'https://evil.example.com/'), 404],
          ['POST', openPath('/recorded'), 405],
          ['GET', `/recorded/open/${'A'.repeat(5000)}`, 414],
        ]
        for (const [method, path, status] of cases) {
          const { response, id } = await get(path, { method, headers: { 'x-record': 'reject' } })
          expect(response.status, path.slice(0, 40)).toBe(status)
          // recordEvent runs before any answer, so by now it would have been called.
          expect(recorded.some((entry) => entry.id === id)).toBe(false)
          const { id: next } = await get(openPath('/recorded'))
          await eventFor(next)
          expect(events.some((event) => event.id === id)).toBe(false)
        }
      })
    })

    it('takes the client IP from the socket, ignoring X-Forwarded-For unless the proxy is trusted', async () => {
      const direct = await get(openPath('/t'), { headers: { 'x-forwarded-for': '203.0.113.9' } })
      expect((await eventFor(direct.id)).result.requestData?.user_ip).toBe('127.0.0.1')
      const chains: [string, string][] = [
        ['203.0.113.9', '203.0.113.9'],
        ['198.51.100.1, 203.0.113.9', '203.0.113.9'], // the left entry is the client's claim: not believed
        ['203.0.113.9, 10.1.2.3', '203.0.113.9'], // a private (trusted) hop is skipped
        ['203.0.113.9, not-an-ip, 10.1.2.3', '10.1.2.3'],
        ['[2001:db8::7]:4711', '2001:db8::7'],
      ]
      for (const [header, ip] of chains) {
        const { id } = await get(openPath('/proxied'), { headers: { 'x-forwarded-for': header } })
        expect((await eventFor(id)).result.requestData?.user_ip, header).toBe(ip)
      }
      const forwarded = await get(openPath('/forwarded'), {
        headers: { forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8:cafe::17]:4711"', 'x-forwarded-for': '192.0.2.1' },
      })
      expect((await eventFor(forwarded.id)).result.requestData?.user_ip).toBe('2001:db8:cafe::17')
    })

    it('labels mail proxies, Apple Mail Privacy Protection, scanners and bots, without dropping them', async () => {
      const cases: [Record<string, string>, string, string][] = [
        [{ 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' }, '/t', 'mail-proxy'],
        [{ 'user-agent': 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html' }, '/t', 'mail-proxy'],
        [{ 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0' }, '/t', 'scanner'],
        [{ 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0', accept: '', 'accept-language': '' }, '/t', 'scanner'],
        [{ 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }, '/t', 'preview-bot'],
        [{ 'x-forwarded-for': '172.225.3.4' }, '/proxied', 'privacy-prefetch'],
      ]
      for (const [headers, mount, kind] of cases) {
        const { response, id } = await get(openPath(mount), { headers })
        expect(response.status).toBe(200)
        expect((await eventFor(id)).result.requestData?.client_kind, JSON.stringify(headers)).toBe(kind)
      }
    })

    it('passes the adapter context (socket address) to hooks', async () => {
      const { id } = await get(openPath('/t'))
      const { context } = await eventFor(id)
      expect(context.remoteAddress).toMatch(/127\.0\.0\.1$/)
    })

    it.each(vectorMounts.map((mount) => [mount.source, mount.testCase.name, mount] as const))(
      'serves the link pytracking made (%s %s)',
      async (_source, _name, { prefix, testCase }) => {
        const path = `${prefix}/${testCase.kind}/${tokenPath(testCase.url)}`
        const { response, body, id } = await get(path)
        if (testCase.kind === 'open') {
          expect(response.status).toBe(200)
          expect(body.equals(PIXEL)).toBe(true)
        } else {
          expect(response.status).toBe(302)
          const destination = testCase.url_to_track as string
          const expected = destination.startsWith('//') ? `https:${djangoIriToUri(destination)}` : djangoIriToUri(destination)
          expect(response.headers.get('location')).toBe(expected)
        }
        const { result } = await eventFor(id)
        expect(result.isOpenTracking).toBe(testCase.result.is_open_tracking)
        expect(result.trackedUrl).toBe(testCase.result.tracked_url)
        expect(result.webhookUrl).toBe(testCase.result.webhook_url)
        expect(result.metadata).toEqual(testCase.result.metadata)
      },
    )
  })
}
