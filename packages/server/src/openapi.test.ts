import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { validate } from '@readme/openapi-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers'
import { OpenApiMismatch } from '../test/setup'
import { ERROR_CODES, OPENAPI_DOCUMENT } from './_internal/openapi'
import { checkAnswer, documentedOperations } from './_internal/openapi-validator'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.stop()
})

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    const result = await validate(structuredClone(OPENAPI_DOCUMENT) as never)
    expect(result.valid ? [] : result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(OPENAPI_DOCUMENT.openapi).toBe('3.1.0')
  })

  it('is served at /api/v1/openapi.json without a token, as it is', async () => {
    const response = await fetch(`${t.server.url}/api/v1/openapi.json`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(OPENAPI_DOCUMENT)
  })

  it('lists every error code the API can answer with, and each error answer of each operation', () => {
    const codes = (OPENAPI_DOCUMENT as { components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } } })
      .components.schemas.Error.properties.error.properties.code.enum
    expect(codes.sort()).toEqual(
      ['body_too_large', 'internal', 'invalid_json', 'invalid_metadata', 'invalid_request', 'link_too_long', 'method_not_allowed', 'not_found', 'request_timeout', 'unauthorized', 'unavailable', 'unsupported_media_type'].sort(),
    )
    for (const operation of documentedOperations()) {
      const statuses = Object.keys(operation.spec.responses as object)
      expect(statuses).toContain('500')
      if (operation.secured) expect(statuses).toEqual(expect.arrayContaining(['401', '503']))
    }
  })
})

describe("the README's error table", () => {
  it('lists each status and code the document does, and no other', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const rows = [...readme.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map(([, status, code]) => `${status} ${code}`)
    const documented = Object.entries(ERROR_CODES).flatMap(([status, codes]) => codes.map((code) => `${status} ${code}`))
    expect(rows.sort()).toEqual(documented.sort())
  })
})

describe('requests are checked against the document before a handler runs', () => {
  async function refusal(path: string, init: RequestInit & { json?: unknown } = {}): Promise<string> {
    const response = await t.api(path, init)
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect([response.status, body.error.code]).toEqual([400, 'invalid_request'])
    return body.error.message
  }

  it('says which field or parameter is wrong, and how', async () => {
    expect(await refusal('/api/v1/links/click', { method: 'POST', json: { metadata: null } })).toBe('url is required')
    expect(await refusal('/api/v1/links/open', { method: 'POST', json: { metadata: 'm-1' } })).toMatch(/^metadata /)
    expect(await refusal('/api/v1/adapt', { method: 'POST', json: { html: '', pixelPosition: 'left' } })).toBe('pixelPosition must be one of "top", "bottom"')
    expect(await refusal('/api/v1/adapt', { method: 'POST', json: { html: '', allowDomains: ['a', 1] } })).toMatch(/^allowDomains\.1 must be string/)
    expect(await refusal('/api/v1/adapt-text', { method: 'POST', json: { text: '', pixelPosition: 'top' } })).toBe('pixelPosition is not accepted here')
    expect(await refusal('/api/v1/events?limit=1001')).toBe('limit must be <= 1000')
    expect(await refusal('/api/v1/events?limit=1.5')).toBe('limit must be a whole number')
    expect(await refusal('/api/v1/events?kind=bounce')).toBe('kind must be one of "open", "click"')
    expect(await refusal('/api/v1/webhooks/deliveries/0/retry', { method: 'POST' })).toBe('id must be >= 1')
  })

  it('takes what the document allows, and ignores query parameters it does not name', async () => {
    const response = await t.api('/api/v1/links/open', { method: 'POST', json: { metadata: { message_id: 'm-1' }, extra: true } })
    expect(response.status).toBe(201)
    expect((await t.api('/api/v1/events?limit=1000&kind=open&unknown=1')).status).toBe(200)
  })
})

describe('the answer check of the tests', () => {
  it('fails a test when an endpoint answers without being in the document', async () => {
    const rogue = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"ok":true}')
    })
    await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve))
    const { port } = rogue.address() as AddressInfo
    try {
      const error = await fetch(`http://127.0.0.1:${port}/api/v1/not-documented`).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OpenApiMismatch)
      expect((error as Error).message).toMatch(/no such path: add it to src\/_internal\/openapi\.ts/)
      // A documented path answering a status or a body its operation does not list fails too.
      expect(await fetch(`http://127.0.0.1:${port}/api/v1/stats`).catch((e: unknown) => e)).toBeInstanceOf(OpenApiMismatch)
    } finally {
      await new Promise((resolve) => rogue.close(resolve))
    }
  })

  it('knows a documented answer from an undocumented one', () => {
    const error = JSON.stringify({ error: { code: 'unauthorized', message: 'no' } })
    const json = 'application/json; charset=utf-8'
    expect(checkAnswer('GET', '/api/v1/stats', 401, json, error)).toBeNull()
    expect(checkAnswer('GET', '/api/v1/stats', 401, json, JSON.stringify({ error: { code: 'not_found', message: 'no' } }))).toMatch(/does not allow/)
    expect(checkAnswer('GET', '/api/v1/stats', 418, json, error)).toMatch(/does not list/)
    expect(checkAnswer('DELETE', '/api/v1/stats', 200, json, '{}')).toMatch(/no DELETE operation/)
    expect(checkAnswer('GET', '/api/v1/events', 200, json, JSON.stringify({ events: [], nextCursor: null, hasMore: false, extra: 1 }))).toMatch(/additional/)
    expect(checkAnswer('GET', '/api/v1/events', 200, 'text/html', '{}')).toMatch(/not application\/json/)
  })
})
