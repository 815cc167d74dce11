import { Configuration, type Metadata, type PytrackingSettings } from '@pytrack/core'
import { load } from 'cheerio'
import { describe, expect, it } from 'vitest'
import { loadVectors } from '../../../test-utils/vectors'
import { expectFaithful } from '../test/fidelity'
import { adaptHtml } from './index'

interface Anchor {
  rewritten: boolean
  tracked_url?: string
  href?: string | null
}
interface HtmlCase {
  name: string
  html: string
  metadata: Metadata
  config: PytrackingSettings
  pytracking_output: string
  anchors: Anchor[]
  pixel_is_last_in_body: boolean
}

/**
 * Where this package tracks a link pytracking 0.2.1 leaves alone, on purpose (README, "Differences
 * from pytracking"). Returns the difference's name, or null when the two should agree.
 */
function deliberateDifference(raw: string): string | null {
  if (/^(?:https?:)?\/\//.test(raw)) return null
  if (/^(?:https?:)?\/\//i.test(raw)) return 'upper-case scheme'
  if (/^(?:https?:)?\/\//i.test(raw.trim())) return 'white space around the URL'
  return null
}

// What pytracking 0.2.1 (lxml) did to each case; see fixtures/vectors/pytracking/README.md.
for (const { source, data } of loadVectors<{ cases: HtmlCase[] }>('pytracking/html.json')) {
  describe(`pytracking adapt_html vectors (${source})`, () => {
    it.each(data.cases)('$name: the same anchors are rewritten, to the same tracking URLs', (vector) => {
      const configuration = Configuration.fromPytracking(vector.config)
      const result = adaptHtml(vector.html, vector.metadata, { configuration })
      expectFaithful(vector.html, result, configuration)

      const ours = [...result.links, ...result.skipped]
        .filter((link) => link.tagName === 'a' && !link.inConditionalComment)
        .sort((a, b) => a.start - b.start)
      expect(ours).toHaveLength(vector.anchors.length)
      const theirHrefs = load(vector.pytracking_output)('a').toArray().map((a) => a.attribs.href)

      vector.anchors.forEach((anchor, i) => {
        const link = ours[i]!
        const tracked = 'trackingUrl' in link
        if (anchor.rewritten && !tracked) {
          // pytracking rewrites every http(s) link; this package leaves some alone on purpose
          // (README, "Differences from pytracking"): template placeholders, opt-outs, tracked links.
          expect(['placeholder', 'opt-out', 'already-tracked']).toContain('reason' in link ? link.reason : undefined)
        } else if (anchor.rewritten) {
          expect(link).toMatchObject({ url: anchor.tracked_url })
          // Byte for byte the link pytracking wrote.
          expect(tracked && link.trackingUrl).toBe(theirHrefs[i])
        } else if (tracked) {
          const raw = vector.html.slice(link.start, link.end)
          expect(deliberateDifference(raw), `anchor ${i} (${raw}) is tracked here, not by pytracking`).not.toBeNull()
          expect(link.url).toBe(raw.trim())
        } else {
          expect('href' in link && link.href).toBe(anchor.href)
        }
      })

      expect(result.pixel!.url).toBe(load(vector.pytracking_output)('body > img').last().attr('src'))
      if (vector.pixel_is_last_in_body) {
        expect(load(result.html)('body').children().last().attr('src')).toBe(result.pixel!.url)
      }
    })

    it('lists every difference with pytracking as a deliberate one', () => {
      const differences = new Set<string>()
      for (const vector of data.cases) {
        const result = adaptHtml(vector.html, vector.metadata, { configuration: Configuration.fromPytracking(vector.config) })
        const anchors = [...result.links, ...result.skipped]
          .filter((link) => link.tagName === 'a')
          .sort((a, b) => a.start - b.start)
        anchors.forEach((link, i) => {
          if ('trackingUrl' in link && !vector.anchors[i]!.rewritten) {
            differences.add(deliberateDifference(vector.html.slice(link.start, link.end)) ?? 'undocumented')
          }
        })
      }
      expect(differences.has('undocumented')).toBe(false)
      // The case pytracking's vectors hold for both (html-1: `HTTPS://EXAMPLE.COM/UP` and ` https://...`).
      if (data.cases.some((c) => c.name === 'html-1')) {
        expect([...differences].sort()).toEqual(['upper-case scheme', 'white space around the URL'])
      }
    })
  })
}
