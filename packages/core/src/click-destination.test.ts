import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { thrownBy } from '../../../test-utils/errors'
import {
  Configuration,
  InvalidDestinationError,
  getClickTrackingResult,
  getClickTrackingUrl,
  isPytrackError,
  parseClickDestination,
} from './index'
import { clickDestinationPieces } from '../../../test-utils/click-destinations'

const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/' })

function refusal(destination: string): InvalidDestinationError {
  const error = thrownBy(() => parseClickDestination(destination))
  expect(error, JSON.stringify(destination)).toBeInstanceOf(InvalidDestinationError)
  return error as InvalidDestinationError
}

describe('parseClickDestination: the one rule for what a click destination is', () => {
  it('refuses what a browser reads differently from the redirect, and never repeats the URL', () => {
    const malformed = [
      'https://e.com\\x',
      'https:/e.com/x',
      'https:e.com/x',
      'HTTPS:e.com',
      'https://e.com:8080\\x',
      'https://e.com/\ud800',
      'https://e.com/\udc00x',
      'https:///e.com/x',
      'https:/\\e.com',
      '//e.com\\@evil.example/',
      'https://e.com/a\tb',
      'https://e.com/a\r\nSet-Cookie: x=1',
      'https://e.com/\u0000',
      'https://e.com/\u007f',
      'https://e.com/x ',
      'https://',
      'https://exa mple.com/',
      'http://[::1/',
      'https://e.com:99999/',
    ]
    for (const destination of malformed) {
      const error = refusal(destination)
      expect(error.reason, JSON.stringify(destination)).toBe('invalid-url')
      expect(error.code).toBe('ERR_PYTRACK_INVALID_DESTINATION')
      expect(error.message).not.toContain(destination)
    }
    for (const destination of ['', 'mailto:a@e.com', 'javascript:alert(1)', '/relative', 'e.com/x', ' https://e.com/', 'ftp://e.com/', '\\\\e.com/x']) {
      expect(refusal(destination).reason, JSON.stringify(destination)).toBe('not-http')
    }
    expect(isPytrackError(thrownBy(() => parseClickDestination(42 as never)), 'ERR_PYTRACK_INVALID_ARGUMENT')).toBe(true)
  })

  it('gives the Location a browser follows: iri_to_uri, protocol-relative made https', () => {
    const cases: [string, string][] = [
      ['https://www.example.com/', 'https://www.example.com/'],
      ['HTTP://WWW.EXAMPLE.COM/A', 'HTTP://WWW.EXAMPLE.COM/A'],
      ['//cdn.example.net/a b', 'https://cdn.example.net/a%20b'],
      ['https://例え.jp/パス?q=値', 'https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9?q=%E5%80%A4'],
      ['https://user:pw@example.com:8443/p;m?q#f', 'https://user:pw@example.com:8443/p;m?q#f'],
      ['https://e.com/a?b\\c#d\\e', 'https://e.com/a?b%5Cc#d%5Ce'],
      ['https://e.com/😀', 'https://e.com/%F0%9F%98%80'],
    ]
    for (const [destination, location] of cases) {
      const parsed = parseClickDestination(destination)
      expect(parsed.location).toBe(location)
      expect(parsed.url.href).toBe(new URL(location).href)
    }
    expect(parseClickDestination('https://例え.jp/').url.hostname).toBe('xn--r8jz45g.jp')
  })

  it('is what getClickTrackingUrl makes links for: refused destinations give no link', () => {
    for (const destination of ['https://e.com\\x', 'https:/e.com/x', 'https:e.com/x', 'https://e.com:8080\\x', 'https://e.com/\ud800', 'javascript:x']) {
      const error = thrownBy(() => getClickTrackingUrl(destination, { a: 1 }, { configuration }))
      expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_DESTINATION'), destination).toBe(true)
    }
  })

  it('property: every accepted destination round-trips through a link; every refused one throws the typed error', () => {
    fc.assert(
      fc.property(fc.array(clickDestinationPieces, { maxLength: 8 }), (pieces) => {
        const destination = pieces.join('')
        let accepted = true
        try {
          parseClickDestination(destination)
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidDestinationError)
          accepted = false
        }
        if (accepted) {
          const link = getClickTrackingUrl(destination, null, { configuration })
          expect(getClickTrackingResult(link, { configuration }).trackedUrl).toBe(destination)
        } else {
          expect(() => getClickTrackingUrl(destination, null, { configuration })).toThrow(InvalidDestinationError)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('property: real-world URLs (fast-check webUrl) are accepted', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        expect(parseClickDestination(url).url.protocol).toMatch(/^https?:$/)
      }),
    )
  })
})
