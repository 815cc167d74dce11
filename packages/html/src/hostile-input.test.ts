import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { configuration, expectSpliced } from '../test/fidelity'
import { htmlish } from '../test/generated-html'
import { adaptHtml, adaptText, type PixelPosition } from './index'

describe('adaptHtml on hostile input', () => {
  it('never throws, and changes nothing but tracked hrefs and the pixel', () => {
    fc.assert(
      fc.property(htmlish, fc.constantFrom<PixelPosition[]>('bottom', 'top', { placeholder: '<!--' }), (html, pixelPosition) => {
        const result = adaptHtml(html, { customer_id: 1 }, { configuration, pixelPosition, linkMetadata: true })
        expectSpliced(html, result)
      }),
      { numRuns: 1500 },
    )
  })

  it('handles a 10 MB email in one pass', () => {
    const block =
      '<tr><td><!--[if mso]><v:roundrect href="https://example.com/buy?x=1&amp;y=2"><![endif]-->' +
      '<a href="https://example.com/buy?x=1&amp;y=2" style="color:#000">Buy</a> <a href="*|UNSUB|*">unsubscribe</a></td></tr>\n'
    const html = `<html><body><table>${block.repeat(Math.ceil(10e6 / block.length))}</table></body></html>`
    const result = adaptHtml(html, { customer_id: 1 }, { configuration })
    const blocks = Math.ceil(10e6 / block.length)
    expect(result.links).toHaveLength(blocks * 2)
    expect(result.skipped).toHaveLength(blocks)
    expect(result.warnings.map((w) => w.code)).toEqual(['gmail-clipping'])
    expectSpliced(html, result)
  })

  it('finishes on pathological documents, which a backtracking or quadratic scanner would not', () => {
    const n = 400_000
    const documents = [
      '<'.repeat(n),
      '<a href="'.repeat(n / 8),
      `<a href=${'x'.repeat(n)}`,
      '<!--[if mso]>'.repeat(n / 12),
      `<!--[if mso]>${'<v:roundrect href="https://example.com/">'.repeat(n / 40)}`,
      `<a href="https://example.com/${'&amp;'.repeat(n / 5)}">x</a>`,
      `<a href="https://example.com/${'{{'.repeat(n / 2)}">x</a>`,
      `<a href="https://example.com/${'['.repeat(n)}">x</a>`,
      `<a href="https://example.com/${'*|%%'.repeat(n / 4)}">x</a>`,
      '</body>'.repeat(n / 7),
      '<body>'.repeat(n / 6),
      '<a href="https://example.com/">'.repeat(n / 30),
      Array.from({ length: n }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join(''),
      // Where the tokenizer is restarted, or given a corrected input.
      '<!-- --!>'.repeat(n / 9),
      '<!--!>'.repeat(n / 6),
      '<!---!>'.repeat(n / 7),
      '<!>'.repeat(n / 3),
      `<!>${'<a href="https://example.com/"'.repeat(n / 30)}>`,
      '<![CDATA[ > '.repeat(n / 12),
      '</p x=">">'.repeat(n / 10),
      '</p x="'.repeat(n / 7),
      '<title/>'.repeat(n / 8),
      '<style></style/>'.repeat(n / 16),
      '<style>'.repeat(n / 7),
      '<tmp>'.repeat(n / 5),
      '<iframe>'.repeat(n / 8),
    ]
    for (const html of documents) {
      const result = adaptHtml(html, null, { configuration, pixelPosition: { placeholder: '<!--[if' } })
      expectSpliced(html, result)
    }
  })
})

describe('adaptText on hostile input', () => {
  const textish = fc
    .array(
      fc.oneof(
        fc.constantFrom('https://', 'http://', 'HTTPS://', 'example.com', '/path', '?q=1', '(', ')', '[', ']', '.', ',', ' ', '\n', '<', '>', '"', '{{', '}}', '*|', '|*'),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''))

  it('never throws, and changes nothing but the tracked URLs', () => {
    fc.assert(
      fc.property(textish, (text) => {
        const result = adaptText(text, { customer_id: 1 }, { configuration })
        let rebuilt = ''
        let cursor = 0
        let outputCursor = 0
        for (const link of result.links) {
          const same = text.slice(cursor, link.start)
          expect(result.text.slice(outputCursor, outputCursor + same.length)).toBe(same)
          outputCursor += same.length
          expect(result.text.slice(outputCursor, outputCursor + link.trackingUrl.length)).toBe(link.trackingUrl)
          outputCursor += link.trackingUrl.length
          rebuilt += same + text.slice(link.start, link.end)
          cursor = link.end
          expect(text.slice(link.start, link.end)).toBe(link.url)
        }
        expect(rebuilt + result.text.slice(outputCursor)).toBe(text)
      }),
      { numRuns: 1000 },
    )
  })

  it('finishes on a long run of URL-like text', () => {
    for (const text of [
      'https://'.repeat(200_000),
      `https://example.com/${')'.repeat(400_000)}`,
      `https://example.com/${'('.repeat(400_000)}`,
      `${'https://e.com/ '.repeat(100_000)}`,
      'http'.repeat(400_000),
    ]) {
      const result = adaptText(text, null, { configuration })
      expect(result.links.length + result.skipped.length).toBeLessThanOrEqual(100_000)
    }
    expect(adaptText(`(https://example.com/${')'.repeat(400_000)}`, null, { configuration }).links[0]!.url).toBe('https://example.com/')
  })
})
