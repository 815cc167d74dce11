// Requests an attacker sends that a first round of hardening (#12) did not cover, over real HTTP
// and raw sockets: each must get a 4xx in the API's words, never a 500, a corrupted answer or an
// error in the log.
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, TOKEN, type TestServer } from '../test/helpers'
import { MAX_JSON_DEPTH } from './_internal/http-io'

let t: TestServer
/** Every log line (debug level and above), parsed. */
const logged: Record<string, unknown>[] = []
const errorsLogged = (): unknown[] => logged.filter((line) => (line.level as number) >= 50).map((line) => line.msg)

beforeAll(async () => {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) })
  t = await startTestServer({}, undefined, { logger })
})
afterAll(async () => {
  await t.stop()
  // Nothing the server wrote in its log, whatever it was sent, holds the API token.
  expect(logged.filter((line) => JSON.stringify(line).includes(TOKEN))).toEqual([])
})

async function answer(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error?: { code: string } }
  return [response.status, body.error?.code ?? 'ok']
}

const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> =>
  t.api(path, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json', ...headers } })

/**
 * Writes `parts` to a raw connection of `server`, each once its `after(received so far)` holds,
 * then ends the client's side if `end`; resolves with all it received once the server closes it.
 */
/** Every answer rawExchange received, for the check that none holds a secret. */
const answers: string[] = []

function rawExchange(parts: { send: string; after?: (received: string) => boolean }[], server: TestServer = t, end = false): Promise<string> {
  const { port } = new URL(server.server.url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1')
    let received = ''
    let next = 0
    const pump = (): void => {
      while (next < parts.length && (parts[next]!.after?.(received) ?? true)) socket.write(parts[next++]!.send)
      if (end && next === parts.length) socket.end()
    }
    socket.on('connect', pump)
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1')
      pump()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      answers.push(received)
      resolve(received)
    })
  })
}

describe('hostile requests', () => {
  it('a path parameter that is not percent-encoded UTF-8 is a 400 after the token check, not a 500', async () => {
    for (const id of ['%ff', '%E0%A4%A', '%']) {
      const path = `/api/v1/webhooks/deliveries/${id}/retry`
      const anonymous = await fetch(t.server.url + path, { method: 'POST' })
      expect([id, ...(await answer(anonymous))]).toEqual([id, 401, 'unauthorized'])
      expect([id, ...(await answer(await t.api(path, { method: 'POST' })))]).toEqual([id, 400, 'invalid_request'])
    }
    expect(errorsLogged()).toEqual([])
  })

  it(`JSON nested more than ${MAX_JSON_DEPTH} levels deep is refused as invalid_json on every endpoint that takes JSON`, async () => {
    const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels)
    const html = JSON.stringify('<a href="https://example.com/">x</a>')
    // Deep enough to overflow the stack of whatever reads it next (the adapt worker's message, the store's JSON).
    const bombs: [string, string][] = [
      ['/api/v1/links/open', `{"metadata": {"a": ${deep(30_000)}}}`],
      ['/api/v1/adapt', `{"html": ${html}, "metadata": {"a": ${deep(200_000)}}}`],
      ['/api/v1/adapt-text', `{"text": "https://example.com/", "metadata": {"a": ${deep(200_000)}}}`],
      ['/api/v1/privacy/export', `{"key": "customer_id", "value": ${deep(30_000)}}`],
      ['/api/v1/privacy/erase', `{"key": "customer_id", "value": ${deep(30_000)}}`],
    ]
    for (const [path, body] of bombs) expect([path, ...(await answer(await post(path, body)))]).toEqual([path, 400, 'invalid_json'])
    // Brackets inside strings are text, and nesting up to the bound is taken.
    const nested = `{"metadata": {"a": ${deep(MAX_JSON_DEPTH - 2)}, "b": "${'['.repeat(1000)}"}}`
    expect(await answer(await post('/api/v1/adapt', `{"html": ${html}, ${nested.slice(1)}`))).toEqual([200, 'ok'])
    const batch = (lines: string): Promise<Response> => post('/api/v1/adapt/batch', lines, { 'content-type': 'application/x-ndjson' })
    expect(await answer(await batch(`{"html": ${html}, "metadata": {"a": ${deep(200_000)}}}\n{"id": "r"}\n`))).toEqual([400, 'invalid_json'])
    const lines = (await (await batch(`{"html": ${html}}\n{"id": "a", "metadata": {"a": ${deep(30_000)}}}\n{"id": "b"}\n`)).text()).trim().split('\n')
    expect(lines.map((line) => JSON.parse(line) as { id?: string; error?: { code: string }; done?: boolean }).map((line) => line.error?.code ?? line.id ?? line.done)).toEqual(['invalid_json', 'b', true])
    expect(errorsLogged()).toEqual([])
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200)
  })

  it('a body in a content coding or a charset other than UTF-8 is refused (415), and bytes that are not UTF-8 are invalid_json', async () => {
    const json = '{"metadata": {"name": "Zoë"}}'
    const refused: [string, string | Uint8Array, Record<string, string>][] = [
      ['gzip', gzipSync(json), { 'content-encoding': 'gzip' }],
      // A gzip bomb: 50 KB that would inflate to 50 MB, never inflated.
      ['gzip bomb', gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' }],
      ['br on a plain body', json, { 'content-encoding': 'br' }],
      ['latin1', Buffer.from(json, 'latin1'), { 'content-type': 'application/json; charset=iso-8859-1' }],
      ['utf-16', Buffer.from(json, 'utf16le'), { 'content-type': 'application/json; charset=utf-16' }],
    ]
    for (const [name, body, headers] of refused) {
      expect([name, ...(await answer(await post('/api/v1/links/open', body, headers)))]).toEqual([name, 415, 'unsupported_media_type'])
      const batch = await post('/api/v1/adapt/batch', body, { 'content-type': 'application/x-ndjson', ...headers })
      expect([name, ...(await answer(batch))]).toEqual([name, 415, 'unsupported_media_type'])
    }
    // Latin-1 bytes sent as UTF-8 were read as U+FFFD and sealed into the link; now refused.
    expect(await answer(await post('/api/v1/links/open', Buffer.from(json, 'latin1')))).toEqual([400, 'invalid_json'])
    const ndjson = { 'content-type': 'application/x-ndjson' }
    expect(await answer(await post('/api/v1/adapt/batch', Buffer.from('{"text": "https://example.com/Zoë"}\n{"id": "a"}\n', 'latin1'), ndjson))).toEqual([400, 'invalid_json'])
    // A recipient's line that is not UTF-8 is that recipient's error line, like one that is not JSON; the batch goes on.
    const latin1Recipient = Buffer.concat([Buffer.from('{"text": "https://example.com/"}\n'), Buffer.from('{"id": "Zoë"}\n', 'latin1'), Buffer.from('{"id": "b"}\n')])
    const lines = (await (await post('/api/v1/adapt/batch', latin1Recipient, ndjson)).text()).trim().split('\n')
    expect(lines.map((line) => JSON.parse(line) as { id?: string; error?: { code: string }; done?: boolean }).map((line) => line.error?.code ?? line.id ?? line.done)).toEqual(['invalid_json', 'b', true])
    expect(await answer(await post('/api/v1/links/open', json, { 'content-type': 'application/json; charset="UTF-8"', 'content-encoding': 'identity' }))).toEqual([201, 'ok'])
    expect(errorsLogged()).toEqual([])
  })

  it('a broken chunk while a batch streams its answer closes the connection: no second status line inside the answer, no error logged', async () => {
    const template = '{"text": "https://example.com/"}\n{"id": "a"}\n'
    const head = `POST /api/v1/adapt/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n`
    const received = await rawExchange([
      { send: `${head}${template.length.toString(16)}\r\n${template}\r\n` },
      // Once recipient "a" is answered, a chunk size that is not hexadecimal.
      { send: 'zz\r\n', after: (text) => text.includes('"id":"a"') },
    ])
    expect(received.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true)
    expect(received).toContain('"id":"a"')
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200'])
    expect(errorsLogged()).toEqual([])
  })

  it('a batch client that goes away before its template has arrived is a cut-off body, not a server error', async () => {
    const own: Record<string, unknown>[] = []
    const server = await startTestServer({}, undefined, { logger: pino({ level: 'warn' }, { write: (line: string) => void own.push(JSON.parse(line) as Record<string, unknown>) }) })
    const head = `POST /api/v1/adapt/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n`
    const part = '{"text": "https://exa'
    // Headers and half a line, then the client ends its side: the body never ends.
    const received = await rawExchange([{ send: `${head}${part.length.toString(16)}\r\n${part}\r\n` }], server, true)
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400'])
    // Closed, the server has let go of that request: what it had to log about it is logged.
    await server.stop()
    expect(own.filter((line) => (line.level as number) >= 50).map((line) => line.msg)).toEqual([])
  })

  it('Expect: 100-continue gets its 100 only for a body the API takes: a refused request is answered without it, and its body is never asked for', async () => {
    const body = '{"metadata": {"n": 1}}'
    const head = (path: string, headers: string): string => `POST ${path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n${headers}\r\n`
    const json = `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`
    const statusLines = (text: string): string[] => text.match(/HTTP\/1\.1 \d{3}/g) ?? []
    // Taken: the 100, then the body, then the answer.
    const taken = await rawExchange([{ send: head('/api/v1/links/open', `Authorization: Bearer ${TOKEN}\r\n${json}`) }, { send: body, after: (text) => text.includes('100 Continue') }])
    expect(statusLines(taken)).toEqual(['HTTP/1.1 100', 'HTTP/1.1 201'])
    const ndjson = '{"text": "https://example.com/"}\n{"id": "a"}\n'
    const batch = await rawExchange([
      { send: head('/api/v1/adapt/batch', `Authorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${ndjson.length}\r\n`) },
      { send: ndjson, after: (text) => text.includes('100 Continue') },
    ])
    expect(statusLines(batch)).toEqual(['HTTP/1.1 100', 'HTTP/1.1 200'])
    expect(batch).toContain('"done":true')
    // Refused: the answer comes at once, with no 100 before it; the client sends no body.
    const refused: [string, string, string, number][] = [
      ['no token', '/api/v1/links/open', json, 401],
      ['over the limit', '/api/v1/links/open', `Authorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n`, 413],
      ['not JSON', '/api/v1/links/open', `Authorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n`, 415],
      ['gzip', '/api/v1/links/open', `Authorization: Bearer ${TOKEN}\r\n${json}Content-Encoding: gzip\r\n`, 415],
      ['batch without token', '/api/v1/adapt/batch', `Content-Type: application/x-ndjson\r\nContent-Length: 2\r\n`, 401],
      ['no such endpoint', '/api/v1/nothing', `Authorization: Bearer ${TOKEN}\r\n${json}`, 404],
    ]
    for (const [name, path, headers, status] of refused) expect([name, ...statusLines(await rawExchange([{ send: head(path, headers) }]))]).toEqual([name, `HTTP/1.1 ${status}`])
    // A pixel asked with Expect is answered as usual.
    const { url } = (await (await post('/api/v1/links/open', body)).json()) as { url: string }
    const pixel = await rawExchange([{ send: `GET ${new URL(url).pathname} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n` }])
    expect(statusLines(pixel)).toEqual(['HTTP/1.1 200'])
    expect(errorsLogged()).toEqual([])
  })

  it('a query parameter given twice is a 400, not whichever of its values a reader picks', async () => {
    for (const query of ['/api/v1/events?limit=1&limit=1000', '/api/v1/stats/destinations?from=1&from=x', '/api/v1/stats/values?groupBy=a&groupBy=b', '/api/v1/webhooks/deliveries?status=failed&status=pending']) {
      const response = await t.api(query)
      const body = (await response.json()) as { error: { code: string; message: string } }
      expect([query, response.status, body.error.code]).toEqual([query, 400, 'invalid_request'])
      expect(body.error.message).toMatch(/is given more than once/)
    }
    // Parameters the endpoint does not read are left alone, repeated or not.
    expect((await t.api('/api/v1/events?limit=1&utm=a&utm=b')).status).toBe(200)
  })

  it('HEAD and OPTIONS on the pixel, the redirect and the API: headers without a body, 405 with Allow, never a 500', async () => {
    const { url: pixel } = (await (await post('/api/v1/links/open', '{"metadata": {"n": "head"}}')).json()) as { url: string }
    const { url: click } = (await (await post('/api/v1/links/click', '{"url": "https://example.com/", "metadata": {"n": "head"}}')).json()) as { url: string }
    const ask = (method: string, path: string, auth = true): Promise<string> =>
      rawExchange([{ send: `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: Bearer ${TOKEN}\r\n` : ''}Connection: close\r\n\r\n` }])
    const split = (text: string): { status: string; headers: string; body: string } => {
      const end = text.indexOf('\r\n\r\n')
      return { status: text.slice(0, text.indexOf('\r\n')), headers: text.slice(0, end).toLowerCase(), body: text.slice(end + 4) }
    }
    const headPixel = split(await ask('HEAD', new URL(pixel).pathname, false))
    expect([headPixel.status, headPixel.body]).toEqual(['HTTP/1.1 200 OK', ''])
    expect(headPixel.headers).toContain('content-type: image/png')
    const headClick = split(await ask('HEAD', new URL(click).pathname, false))
    expect([headClick.status, headClick.body]).toEqual(['HTTP/1.1 302 Found', ''])
    expect(headClick.headers).toContain('location: https://example.com/')
    const headApi = split(await ask('HEAD', '/api/v1/events?limit=1'))
    expect([headApi.status, headApi.body]).toEqual(['HTTP/1.1 200 OK', ''])
    for (const path of [new URL(pixel).pathname, new URL(click).pathname]) {
      const options = split(await ask('OPTIONS', path, false))
      expect([path, options.status]).toEqual([path, 'HTTP/1.1 405 Method Not Allowed'])
      expect(options.headers).toContain('allow: get, head')
    }
    const optionsApi = split(await ask('OPTIONS', '/api/v1/events'))
    expect([optionsApi.status, JSON.parse(optionsApi.body)]).toEqual(['HTTP/1.1 405 Method Not Allowed', { error: { code: 'method_not_allowed', message: expect.any(String) } }])
    expect(optionsApi.headers).toContain('allow: get, head')
    // Without the token the API says nothing about its methods.
    expect(split(await ask('OPTIONS', '/api/v1/events', false)).status).toBe('HTTP/1.1 401 Unauthorized')
    expect(split(await ask('OPTIONS', '*', false)).status).toBe('HTTP/1.1 404 Not Found')
  })

  it('Range headers are ignored: the whole pixel or answer, 200, never 206, 416 or 500', async () => {
    const { url } = (await (await post('/api/v1/links/open', '{"metadata": {"n": "range"}}')).json()) as { url: string }
    const whole = await fetch(t.local(url))
    const size = (await whole.arrayBuffer()).byteLength
    for (const range of ['bytes=0-0', 'bytes=10-5', 'bytes=0-0,1-1,2-2', 'bytes=-1', 'bytes=99999999-', 'lines=1-2', 'bytes=0-'.repeat(500)]) {
      const answer = await fetch(t.local(url), { headers: { range } })
      expect([range, answer.status, (await answer.arrayBuffer()).byteLength]).toEqual([range, 200, size])
      const api = await t.api('/api/v1/events?limit=1', { headers: { range } })
      expect([range, api.status, ((await api.json()) as { events: unknown[] }).events.length]).toEqual([range, 200, 1])
    }
  })

  it('huge, negative, fractional or non-numeric limits, cursors and times are a 400 invalid_request', async () => {
    const queries = [
      'events?limit=99999999999999999999', 'events?limit=-1', 'events?limit=0', 'events?limit=NaN', 'events?limit=1e3', 'events?limit=1.5', 'events?limit=%20', 'events?limit=0x10',
      'events?latest=0', 'events?latest=-1', 'events?latest=1001',
      'events?cursor=-5', 'events?cursor=NaN', `events?cursor=${'9'.repeat(400)}`, 'events?cursor=%00%ff', 'webhooks/deliveries?cursor=Infinity', 'webhooks/deliveries?limit=-0',
      'stats/timeseries?from=NaN', 'stats/timeseries?from=-99999999999999&to=0', 'stats/timeseries?from=9999999999999999999999', 'stats/timeseries?from=2000&to=1000',
      'stats/timeseries?from=%2B275760-09-14T00:00:00Z', 'stats/timeseries?from=0&to=8640000000000001', 'stats/destinations?from=-9007199254740993', 'stats/destinations?limit=101',
      'stats/values?groupBy=a&limit=0', 'stats/values?groupBy=a&from=1e400', 'stats/timeseries?from=0&interval=hour',
    ]
    for (const query of queries) {
      const response = await t.api(`/api/v1/${query}`)
      const body = (await response.json()) as { error?: { code: string } }
      expect([query, response.status, body.error?.code]).toEqual([query, 400, 'invalid_request'])
    }
    for (const id of ['99999999999999999999', '-1', '0', '1.5', 'NaN']) {
      const response = await t.api(`/api/v1/webhooks/deliveries/${id}/retry`, { method: 'POST' })
      expect([id, response.status]).toEqual([id, 400])
    }
  })

  it('over-long URLs and headers get 414 or 431 and a closed connection; the server goes on answering', async () => {
    const { url } = (await (await post('/api/v1/links/open', '{"metadata": {"n": "long"}}')).json()) as { url: string }
    const path = new URL(url).pathname
    const get = (target: string, headers = ''): Promise<string> => rawExchange([{ send: `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n` }])
    const status = (text: string): string => text.slice(0, text.indexOf('\r\n'))
    expect(status(await get(`${path}${'a'.repeat(10_000)}`))).toBe('HTTP/1.1 414 URI Too Long')
    expect(status(await get(`/api/v1/events?x=${'a'.repeat(100_000)}`, `Authorization: Bearer ${TOKEN}\r\n`))).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(status(await get(`/${'a'.repeat(70_000)}`))).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(status(await get(path, `X-Long: ${'a'.repeat(20_000)}\r\n`))).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(status(await get(path, Array.from({ length: 3000 }, (_, i) => `X-${i}: a\r\n`).join('')))).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(status(await get(path, `Authorization: Bearer ${TOKEN}${'x'.repeat(20_000)}\r\n`))).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect((await fetch(t.local(url))).status).toBe(200)
  })

  it('a request smuggled behind both Content-Length and Transfer-Encoding is refused whole: one 400, the connection closed, the hidden request never run', async () => {
    const hidden = `GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`
    const heads = [
      `Content-Length: 4\r\nTransfer-Encoding: chunked\r\n`,
      `Transfer-Encoding: chunked\r\nContent-Length: 40\r\n`,
      `Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n`,
      `Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n`,
      `Transfer-Encoding: chunked, identity\r\n`,
      `Content-Length: 5\r\nContent-Length: 6\r\n`,
      `Content-Length : 5\r\n`,
      `Content-Length: -5\r\n`,
      ` Transfer-Encoding: chunked\r\n`,
    ]
    for (const head of heads) {
      const received = await rawExchange([{ send: `POST /api/v1/links/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${head}\r\n0\r\n\r\n${hidden}` }])
      expect([head, received.match(/HTTP\/1\.1 \d{3}/g)]).toEqual([head, ['HTTP/1.1 400']])
      expect(received).not.toContain('"events"')
    }
    expect(errorsLogged()).toEqual([])
  })

  it('no answer to any of these requests holds the API token', () => {
    expect(answers.length).toBeGreaterThan(30)
    expect(answers.filter((text) => text.includes(TOKEN))).toEqual([])
  })

  it('a "__proto__" key of the metadata is part of the email identity, like any other key', async () => {
    const ids = new Set<string>()
    for (const metadata of ['{"__proto__": {"customer": 1}}', '{"__proto__": {"customer": 2}}']) {
      const { url } = (await (await post('/api/v1/links/open', `{"metadata": ${metadata}}`)).json()) as { url: string }
      expect((await fetch(t.local(url))).status).toBe(200)
    }
    const { events } = (await (await t.api('/api/v1/events?latest=2')).json()) as { events: { emailId: string }[] }
    for (const event of events) ids.add(event.emailId)
    expect([...ids].sort()).toEqual(['{"__proto__":{"customer":1}}', '{"__proto__":{"customer":2}}'])
  })
})
