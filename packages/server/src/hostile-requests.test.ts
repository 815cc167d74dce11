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
/** Every log line at warn level or above, parsed. */
const logged: Record<string, unknown>[] = []
const errorsLogged = (): unknown[] => logged.filter((line) => (line.level as number) >= 50).map((line) => line.msg)

beforeAll(async () => {
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) })
  t = await startTestServer({}, undefined, { logger })
})
afterAll(async () => {
  await t.stop()
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
    socket.on('close', () => resolve(received))
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
