import { describe, expect, it } from 'vitest'
import { Configuration, getClickTrackingUrl, getOpenTrackingUrl, isPytrackError } from '@pytrack/core'
import { thrownBy } from '../../../../test-utils/errors'
import { checkCoreOptions } from './core-options'
import { createDecoder } from './decoder'
import { PIXEL_ANSWER } from './responses'

const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' })
const token = (link: string): string => link.slice(link.lastIndexOf('/') + 1)
const data = { user_agent: null, user_ip: '192.0.2.1', request_time: '2026-01-01T00:00:00.000Z', method: 'GET', referer: null }
const decode = createDecoder(configuration, checkCoreOptions({ configuration, allowedDestinations: ['www.example.com'] }).locationFor)
const NOW = Date.UTC(2026, 0, 1)

describe('createDecoder', () => {
  it('decodes an open link into its result and the pixel (without a body for HEAD)', () => {
    const open = { isOpen: true, token: token(getOpenTrackingUrl({ customer_id: 7 }, { configuration })) }
    const { result, response } = decode(open, false, data, NOW)
    expect([result.isOpenTracking, result.metadata, result.requestData, result.timestamp]).toEqual([true, { customer_id: 7 }, data, NOW / 1000])
    expect(response).toBe(PIXEL_ANSWER.get)
    expect(decode(open, true, data, NOW).response).toBe(PIXEL_ANSWER.head)
  })

  it('answers a click with a 302 to its destination, one response per destination', () => {
    const click = { isOpen: false, token: token(getClickTrackingUrl('https://www.example.com/a?b=c', null, { configuration })) }
    const first = decode(click, false, data, NOW)
    expect(first.result.trackedUrl).toBe('https://www.example.com/a?b=c')
    expect([first.response.status, first.response.headers.location, first.response.body]).toEqual([302, 'https://www.example.com/a?b=c', null])
    expect(decode(click, true, data, NOW).response).toBe(first.response)
  })

  it('throws a PytrackError for a token that does not decode, a click without a URL and a refused destination', () => {
    const cases = [
      [{ isOpen: true, token: '!!!!' }, 'ERR_PYTRACK_INVALID_LINK'],
      [{ isOpen: false, token: token(getOpenTrackingUrl({ a: 1 }, { configuration })) }, 'ERR_PYTRACK_INVALID_LINK'],
      [{ isOpen: false, token: token(getClickTrackingUrl('https://evil.example/', null, { configuration })) }, 'ERR_PYTRACK_REDIRECT_REFUSED'],
    ] as const
    for (const [route, code] of cases) expect(isPytrackError(thrownBy(() => decode(route, false, data, NOW)), code), code).toBe(true)
  })
})
