import { describe, expect, it } from 'vitest'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { configuration, expectFaithful } from '../test/fidelity'
import { adaptHtml } from './index'

// Real templates from ../shared/corpus/email (Mailchimp blueprints, MJML output, Lee Munroe's
// template, an edge-case page). Not copied into the repository: other people's work.
const files = corpusFiles()
const MERGE_TAG = /\*\|[^|]*\|\*|\{\{|\{%|%%[^%]+%%|\[\[/

describe.skipIf(files.length === 0)('adaptHtml on the email corpus', () => {
  it.each(files)('$name: only tracked hrefs and the pixel change, and every link decodes', ({ html }) => {
    const result = adaptHtml(html, benchWorkload.metadata, { configuration })
    expectFaithful(html, result)
    // Merge-tag links stay exactly as written.
    for (const link of result.links) expect(link.url).not.toMatch(MERGE_TAG)
    for (const skipped of result.skipped) {
      if (skipped.href !== null && MERGE_TAG.test(skipped.href)) expect(skipped.reason).toBe('placeholder')
    }
    // The pixel sits right before the last </body>.
    expect(result.html.slice(result.pixel!.start + (result.html.length - html.length)).toLowerCase()).toMatch(/^<\/body>/)
  })

  it('tracks links across the corpus, leaves merge tags, and follows Outlook twins', () => {
    const totals = { links: 0, placeholders: 0, conditional: 0 }
    for (const { html } of files) {
      const result = adaptHtml(html, benchWorkload.metadata, { configuration, linkMetadata: true })
      totals.links += result.links.length
      totals.placeholders += result.skipped.filter((link) => link.reason === 'placeholder').length
      const htmlLinks = result.links.filter((l) => !l.inConditionalComment)
      for (const link of result.links.filter((l) => l.inConditionalComment)) {
        totals.conditional++
        // The twin is the next HTML link to the same place (the fallback after a VML button), else the last one before.
        const twins = htmlLinks.filter((other) => other.url === link.url)
        const twin = twins.find((other) => other.start > link.start) ?? twins.at(-1)
        if (twin) expect(link.trackingUrl).toBe(twin.trackingUrl)
      }
    }
    expect(totals.links).toBeGreaterThan(100)
    expect(totals.placeholders).toBeGreaterThan(50)
    expect(totals.conditional).toBeGreaterThan(0)
  })

  it('warns about Gmail clipping on the corpus templates over 102 KiB, and only those', () => {
    for (const { name, html } of files) {
      const result = adaptHtml(html, benchWorkload.metadata, { configuration })
      const clipped = Buffer.byteLength(result.html) > 102 * 1024
      expect(result.warnings.some((w) => w.code === 'gmail-clipping'), name).toBe(clipped)
    }
  })
})

if (files.length === 0) {
  describe('adaptHtml on the email corpus', () => {
    it.skip('is skipped: ../shared/corpus/email is absent (it sits beside the checkout in CI, not in a fresh clone)', () => {})
  })
}
