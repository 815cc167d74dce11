import { describe, expect, it } from 'vitest'
import { createClassifier } from './classifier'
import { compileRanges, type RangeTest } from './ip'
import { createRequestData } from './request-data'
import { WebCoreRequest } from './web-bridge'

const hit = (headers: Record<string, string>, address = '::ffff:192.0.2.1', method = 'GET'): WebCoreRequest =>
  new WebCoreRequest(new Request('https://t.example.com/open/e30=', { method, headers }), address)
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6)

describe('createRequestData', () => {
  it("records pytracking's fields and the client's label", () => {
    const data = createRequestData(createClassifier(), undefined, 'x-forwarded-for')
    expect(data(hit({ 'user-agent': 'Slackbot-LinkExpanding 1.0', referer: 'https://mail.example/' }), NOW)).toEqual({
      user_agent: 'Slackbot-LinkExpanding 1.0',
      user_ip: '192.0.2.1',
      request_time: '2026-01-02T03:04:05.006Z',
      method: 'GET',
      referer: 'https://mail.example/',
      client_kind: 'preview-bot',
      client_reason: 'User-Agent of a link-preview bot, crawler or HTTP library',
    })
  })

  it('leaves the label out without a classifier, and reads the forwarding header only from a trusted proxy', () => {
    const trusted = compileRanges(['loopback']) as RangeTest
    const data = createRequestData(undefined, trusted, 'x-forwarded-for')
    expect(data(hit({ 'x-forwarded-for': '203.0.113.9' }, '127.0.0.1', 'HEAD'), NOW)).toEqual({
      user_agent: null,
      user_ip: '203.0.113.9',
      request_time: '2026-01-02T03:04:05.006Z',
      method: 'HEAD',
      referer: null,
    })
    expect(data(hit({ 'x-forwarded-for': '203.0.113.9' }, '198.51.100.4'), NOW + 1)).toMatchObject({ user_ip: '198.51.100.4', request_time: '2026-01-02T03:04:05.007Z' })
  })
})
