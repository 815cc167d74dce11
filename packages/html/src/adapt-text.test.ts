import { getClickTrackingResult, isPytrackError } from '@pytrack/core'
import { describe, expect, it } from 'vitest'
import { configuration } from '../test/fidelity'
import { adaptText } from './index'

const text = `Hi Ada,

Our autumn sale is on: https://shop.example.com/sale?utm_source=mail&x=1.
See the lookbook (https://shop.example.com/look) or the FAQ [https://help.example.com/faq].
Wikipedia: https://en.wikipedia.org/wiki/Sale_(disambiguation), HTTPS://SHOP.EXAMPLE.COM/UP!
Reply to <https://shop.example.com/reply>, or "https://shop.example.com/quoted".
Not links: ftp://files.example.com/x mailto:help@example.com www.example.com xhttps://glued.example.com
Personal: https://shop.example.com/u/{{user_id}} and https://shop.example.com/?e=*|EMAIL|*
Unsubscribe: https://shop.example.com/unsubscribe
`

describe('adaptText', () => {
  const result = adaptText(text, { customer_id: 7 }, { configuration })

  it('rewrites bare http(s) URLs, leaving trailing punctuation and unmatched brackets outside', () => {
    expect(result.links.map((link) => link.url)).toEqual([
      'https://shop.example.com/sale?utm_source=mail&x=1',
      'https://shop.example.com/look',
      'https://help.example.com/faq',
      'https://en.wikipedia.org/wiki/Sale_(disambiguation)',
      'HTTPS://SHOP.EXAMPLE.COM/UP',
      'https://shop.example.com/reply',
      'https://shop.example.com/quoted',
      'https://shop.example.com/unsubscribe',
    ])
    expect(result.links.map((link) => link.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 9])
  })

  it('changes nothing else, and every tracking URL leads back', () => {
    let expected = text
    for (const link of [...result.links].reverse()) {
      expected = expected.slice(0, link.start) + link.trackingUrl + expected.slice(link.end)
      expect(getClickTrackingResult(link.trackingUrl, { configuration })).toMatchObject({
        trackedUrl: link.url,
        metadata: { customer_id: 7 },
      })
    }
    expect(result.text).toBe(expected)
    expect(result.text).toContain('(https://t.example.com/c/')
    expect(result.text).toContain('<https://t.example.com/c/')
    expect(result.text).toContain('www.example.com xhttps://glued.example.com')
  })

  it('leaves merge tags for after personalisation', () => {
    expect(result.skipped.map((link) => [link.href, link.reason])).toEqual([
      ['https://shop.example.com/u/{{user_id}}', 'placeholder'],
      ['https://shop.example.com/?e=*|EMAIL|*', 'placeholder'],
    ])
  })

  it('applies the domain lists, the predicate and per-link metadata', () => {
    const filtered = adaptText(text, null, {
      configuration,
      denyDomains: ['wikipedia.org'],
      shouldTrackLink: (link) => !link.url.includes('unsubscribe'),
      linkMetadata: true,
    })
    expect(filtered.links).toHaveLength(6)
    expect(filtered.skipped.map((link) => link.reason)).toEqual(['domain', 'placeholder', 'placeholder', 'predicate'])
    expect(getClickTrackingResult(filtered.links[1]!.trackingUrl, { configuration }).metadata).toEqual({ link_index: 1 })
  })

  it('returns the text unchanged with clickTracking off, and refuses what is not a string', () => {
    expect(adaptText(text, null, { clickTracking: false })).toEqual({ text, links: [], skipped: [], warnings: [] })
    try {
      adaptText(Buffer.from(text) as never, null, { configuration })
      expect.unreachable()
    } catch (error) {
      expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
    }
  })
})
