import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, startTestServer, type TestServer } from '../test/helpers'
import { MAX_ADAPT_LINKS } from './_internal/adapt-limit'
import { adaptWorkChannel } from './_internal/api'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.stop())

const filler = (size: number): string => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(size / 27)).slice(0, size)

describe('adapt requests are bounded so they do not hold the tracking routes', () => {
  it('refuses more links than one request may hold, before sealing any, and takes the most it allows', async () => {
    // What stalled /healthz for most of a second: a 990 KB text of 110,000 URLs.
    const flood = 'https://e.com/x '.repeat(61_875)
    const refused = await server.api('/api/v1/adapt-text', { method: 'POST', json: { text: flood } })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toEqual({
      error: { code: 'invalid_request', message: `the text has more than ${MAX_ADAPT_LINKS} links, the most one adapt request takes; adapt it in parts` },
    })
    const links = (count: number): string => Array.from({ length: count }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
    const tooMany = await server.api('/api/v1/adapt', { method: 'POST', json: { html: `<body>${links(MAX_ADAPT_LINKS + 1)}</body>` } })
    expect(tooMany.status).toBe(400)
    // The largest request the API takes: about 1 MiB with the most links.
    const html = `<body>${links(MAX_ADAPT_LINKS)}<p>${filler(1_000_000)}</p></body>`
    const largest = await server.api('/api/v1/adapt', { method: 'POST', json: { html } })
    expect(largest.status).toBe(200)
    expect(((await largest.json()) as { links: unknown[] }).links).toHaveLength(MAX_ADAPT_LINKS)
    const text = await server.api('/api/v1/adapt-text', { method: 'POST', json: { text: `${'see https://example.com/a '.repeat(MAX_ADAPT_LINKS)}${filler(1_000_000)}` } })
    expect(text.status).toBe(200)
  })
})

describe('adapt requests run beside the tracking routes, not in front of them', () => {
  it('answers pixels while the largest adapt request is worked on', { timeout: 60_000 }, async () => {
    const made = await server.api('/api/v1/links/open', { method: 'POST', json: { metadata: { n: 1 } } })
    const pixel = server.local(((await made.json()) as { url: string }).url)
    const links = Array.from({ length: MAX_ADAPT_LINKS }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
    const html = `<body>${links}<p>${filler(1_000_000)}</p></body>`
    // The server says when the adapt's work begins and ends. A pixel answered in between was
    // answered by an event loop the adapt did not hold; done on the event loop, the adapt
    // begins and ends in one synchronous stretch and no pixel can be answered in between,
    // however fast or slow the machine.
    let working = false
    const onWork = (message: unknown): void => void (working = (message as { phase: string }).phase === 'start')
    subscribe(adaptWorkChannel.name, onWork)
    try {
      let done = false
      const adapting = server.api('/api/v1/adapt', { method: 'POST', json: { html } }).finally(() => (done = true))
      // Pixels one at a time until the adapt is answered, each counted when its answer came during the work.
      let answeredDuringWork = 0
      while (!done) {
        const open = await fetch(pixel, { headers: BROWSER })
        expect(open.status).toBe(200)
        await open.arrayBuffer()
        if (working) answeredDuringWork++
      }
      expect((await adapting).status).toBe(200)
      expect(answeredDuringWork).toBeGreaterThan(0)
    } finally {
      unsubscribe(adaptWorkChannel.name, onWork)
    }
  })

  it('answers the library errors thrown in the worker as before: 400 invalid_request naming the option', async () => {
    const response = await server.api('/api/v1/adapt', { method: 'POST', json: { html: '<a href="https://e.com/">x</a>', metadata: { n: 1 }, allowDomains: ['not a domain pattern!'] } })
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(response.status, JSON.stringify(body)).toBe(400)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/allowDomains/)
  })
})
