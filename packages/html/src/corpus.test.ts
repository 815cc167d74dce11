import { describe, expect, it } from 'vitest'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { configuration, expectFaithful } from '../test/fidelity'
import { withHtmlOptOut, withTextOptOut } from '../test/opt-outs'
import { OPT_OUTS } from './_internal/opt-outs'
import { adaptHtml, adaptText } from './index'

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
    // The pixel sits right before the last </body>; a template without one (a fragment, a
    // partial) gets it at the end, with a warning that says so.
    const bodyEnd = lastBodyEndTag(html)
    expect(result.pixel!.start).toBe(bodyEnd === -1 ? html.length : bodyEnd)
    expect(result.warnings.some((warning) => warning.code === 'no-body')).toBe(bodyEnd === -1)
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

  // Each sender's opt-out written on every link of every template (as the first attribute, so a
  // class or attribute the template already has does not win) leaves every link untracked.
  it.each(OPT_OUTS.filter((entry) => entry.html !== null))('$sender: its opt-out leaves every link of every template untracked', ({ html: form }) => {
    let optedOut = 0
    for (const { name, html } of files) {
      const baseline = adaptHtml(html, benchWorkload.metadata, { configuration, openTracking: false })
      const marked = 'scheme' in form!
        ? spliceHrefs(html, baseline.links.filter((link) => /^https?:/i.test(link.url)), (raw) => withHtmlOptOut(form!, raw).href)
        : html.replace(/<(a|area)(?=[\s/>])/gi, `<$1${withHtmlOptOut(form!, '').attributes}`)
      const result = adaptHtml(marked, benchWorkload.metadata, { configuration, openTracking: false })
      // Left: VML buttons without an HTML twin, and (for Postal's scheme) protocol-relative links.
      const stillTracked = result.links.filter((link) => link.tagName === 'a' || link.tagName === 'area')
      if ('scheme' in form!) {
        expect(stillTracked.every((link) => link.url.startsWith('//')), name).toBe(true)
        // The scheme is written out as it was: the output is the template with only those tracked.
        const onlyRelative = adaptHtml(html, benchWorkload.metadata, { configuration, openTracking: false, shouldTrackLink: (link) => link.url.startsWith('//') })
        expect(result.html, name).toBe(onlyRelative.html)
      } else {
        expect(stillTracked, name).toEqual([])
      }
      optedOut += result.skipped.filter((link) => link.reason === 'opt-out').length
    }
    expect(optedOut).toBeGreaterThan(100)
  })

  it.each(OPT_OUTS.filter((entry) => entry.text !== null))("$sender: its text opt-out leaves every template's URLs untracked in a text part", ({ text: form }) => {
    const urls = files.flatMap(({ html }) => adaptHtml(html, null, { configuration, openTracking: false }).links.map((link) => link.url))
      .filter((url) => /^https?:\/\/[^\s<>"]+$/i.test(url) && !/[.,;:!?'")\]}]$/.test(url))
    const written = urls.map((url) => withTextOptOut(form!, url))
    const result = adaptText(written.map((w) => w.written).join('\n'), benchWorkload.metadata, { configuration })
    expect(result.links).toEqual([])
    expect(result.text).toBe(written.map((w) => w.expected).join('\n'))
    expect(urls.length).toBeGreaterThan(100)
  })

  it('warns about Gmail clipping on the corpus templates over 102 KiB, and only those', () => {
    for (const { name, html } of files) {
      const result = adaptHtml(html, benchWorkload.metadata, { configuration })
      const clipped = Buffer.byteLength(result.html) > 102 * 1024
      expect(result.warnings.some((w) => w.code === 'gmail-clipping'), name).toBe(clipped)
    }
  })
})

/** Where the last `</body>` end tag outside comments starts, or -1. */
function lastBodyEndTag(html: string): number {
  const outsideComments = html.replace(/<!--[\s\S]*?(?:-->|$)/g, (comment) => ' '.repeat(comment.length))
  const tags = [...outsideComments.matchAll(/<\/body[\s/>]/gi)]
  return tags.at(-1)?.index ?? -1
}

/** The HTML with the raw href values of the given links replaced by `rewrite(raw)`. */
function spliceHrefs(html: string, links: readonly { start: number; end: number }[], rewrite: (raw: string) => string): string {
  let out = ''
  let cursor = 0
  for (const link of links) {
    out += html.slice(cursor, link.start) + rewrite(html.slice(link.start, link.end))
    cursor = link.end
  }
  return out + html.slice(cursor)
}

if (files.length === 0) {
  describe('adaptHtml on the email corpus', () => {
    it.skip('is skipped: ../shared/corpus/email is absent (it sits beside the checkout in CI, not in a fresh clone)', () => {})
  })
}
