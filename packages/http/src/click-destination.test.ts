import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Configuration, getClickTrackingResult, getClickTrackingUrl, parseClickDestination } from '@pytrack/core'
import { createTrackingHandler } from './index'
import { clickDestinationPieces } from '../../../test-utils/click-destinations'
import { unruledClickLink } from '../../../test-utils/pytracking'

const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/click/' })
const handler = createTrackingHandler({ configuration, trustUnauthenticatedLinks: true })
const serve = async (link: string): Promise<Response> =>
  handler(new Request(`https://t.example.com/click/${link.slice(link.lastIndexOf('/') + 1)}`), { remoteAddress: '192.0.2.1' })

function accepted(destination: string): string | null {
  try {
    return parseClickDestination(destination).location
  } catch {
    return null
  }
}

describe('the click destination rule, where links are served', () => {
  it('serves none of the links the issue found made but dead, and core makes none of them', async () => {
    for (const destination of ['https://e.com\\x', 'https:/e.com/x', 'https:e.com/x', 'https://e.com:8080\\x', 'https://e.com/\ud800']) {
      expect(() => getClickTrackingUrl(destination, null, { configuration }), destination).toThrow(/click destination/)
      const response = await serve(unruledClickLink(destination, configuration))
      expect(response.status, destination).toBe(404)
    }
  })

  it('property: a destination the rule accepts round-trips and is served at its Location; one the handler serves was accepted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(clickDestinationPieces, { maxLength: 8 }), async (pieces) => {
        const destination = pieces.join('')
        const location = accepted(destination)
        // A link made without the rule (by pytracking, or forged) for every string.
        const served = await serve(unruledClickLink(destination, configuration))
        if (location === null) {
          expect(served.status, JSON.stringify(destination)).toBe(404)
          return
        }
        const link = getClickTrackingUrl(destination, { n: 1 }, { configuration })
        expect(getClickTrackingResult(link, { configuration }).trackedUrl).toBe(destination)
        const response = await serve(link)
        expect(response.status, JSON.stringify(destination)).toBe(302)
        expect(response.headers.get('location')).toBe(location)
        expect(served.status).toBe(302)
      }),
      { numRuns: 1500 },
    )
  })
})
