import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configuration, expectSpliced } from '../test/fidelity'
import { withHtmlOptOut, withTextOptOut } from '../test/opt-outs'
import { OPT_OUTS, describeForm } from './_internal/opt-outs'
import { adaptHtml, adaptText } from './index'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('the opt-out list', () => {
  it('is the table in the README, row for row', () => {
    const table = readme.slice(readme.indexOf('<!-- opt-outs:'))
    const rows = table.split('\n').slice(3).filter((line, i, lines) => line.startsWith('|') && lines.slice(0, i).every((l) => l.startsWith('|')))
    const expected = OPT_OUTS.map(({ sender, html, text, source }) => {
      const cell = (form: typeof html | typeof text): string => (form === null ? '' : ` \`${describeForm(form)}\` `)
      return `| ${sender} |${cell(html) || ' '}|${cell(text) || ' '}| ${source} |`
    })
    expect(rows).toEqual(expected)
  })

  it('has one entry a sender form, each with a source', () => {
    const forms = OPT_OUTS.flatMap(({ html }) => (html === null ? [] : [describeForm(html)]))
    expect(new Set(forms).size).toBe(forms.length)
    for (const entry of OPT_OUTS) expect(entry.source.length).toBeGreaterThan(5)
  })
})

describe.each(OPT_OUTS.filter((entry) => entry.html !== null))('$sender in adaptHtml', ({ html: form }) => {
  const plain = 'https://shop.example.com/sale?a=1&amp;b=2'
  const { attributes, href } = withHtmlOptOut(form!, plain)
  const input = `<body><p><a href="${href}"${attributes}>opted out</a> <a href="${plain}">tracked</a></p>
<!--[if mso]><v:roundrect href="${href}" arcsize="10%"><center>Button</center></v:roundrect><![endif]-->
<a${attributes} href="${href}">button fallback</a></body>`

  it('leaves the link untracked, its Outlook twin too, and tracks the one without it', () => {
    const result = adaptHtml(input, { message_id: 'm-1' }, { configuration, openTracking: false })
    expect(result.links.map((link) => link.url)).toEqual(['https://shop.example.com/sale?a=1&b=2'])
    expect(result.skipped.map((link) => [link.tagName, link.reason])).toEqual([
      ['a', 'opt-out'],
      ['v:roundrect', 'opt-out'],
      ['a', 'opt-out'],
    ])
    if ('scheme' in form!) {
      // Postal's scheme is written out as https://, byte for byte otherwise.
      expect(result.html).not.toContain('+notrack')
      expect(result.html.replace(result.links[0]!.trackingUrl, plain)).toBe(input.replaceAll('https+notrack:', 'https:'))
    } else {
      expectSpliced(input, result)
      expect(result.html).toContain(attributes.trim())
    }
  })
})

const withValue = OPT_OUTS.flatMap(({ sender, html }) =>
  html !== null && ('classToken' in html || ('attribute' in html && html.value !== null)) ? [{ sender, html }] : [],
)
it.each(withValue)('$sender: a link whose attribute or class says otherwise is tracked', ({ html }) => {
  const other = 'classToken' in html ? ' class="tracked"' : ` ${(html as { attribute: string }).attribute}="on"`
  const result = adaptHtml(`<a href="https://example.com/"${other}>x</a>`, null, { configuration, openTracking: false })
  expect(result.links).toHaveLength(1)
})

describe('Postal in adaptHtml', () => {
  it('writes out http+notrack too, keeps entities and quotes, and rewrites a scheme written with references', () => {
    const input = `<a href='HTTP+NOTRACK://example.com/?a=1&amp;b=2'>a</a> <a href=https+notrack://example.com/u>b</a> <a href="https&#43;notrack://example.com/&quot;">c</a>`
    const result = adaptHtml(input, null, { configuration, openTracking: false })
    expect(result.links).toEqual([])
    expect(result.html).toBe(`<a href='HTTP://example.com/?a=1&amp;b=2'>a</a> <a href=https://example.com/u>b</a> <a href="https://example.com/&quot;">c</a>`)
  })
})

describe.each(OPT_OUTS.filter((entry) => entry.text !== null))('$sender in adaptText', ({ text: form }) => {
  it('leaves the URL untracked and takes the marker out, and tracks the others', () => {
    const one = withTextOptOut(form!, 'https://shop.example.com/deep?x=1')
    const two = withTextOptOut(form!, 'https://shop.example.com/end')
    const text = `App: ${one.written} and https://shop.example.com/sale.\n(${two.written}).`
    const result = adaptText(text, { message_id: 'm-1' }, { configuration })
    expect(result.links.map((link) => link.url)).toEqual(['https://shop.example.com/sale'])
    expect(result.skipped.map((link) => [link.href, link.reason])).toEqual([
      [one.written.startsWith('https+') ? one.written : one.expected, 'opt-out'],
      [two.written.startsWith('https+') ? two.written : two.expected, 'opt-out'],
    ])
    expect(result.text).toBe(`App: ${one.expected} and ${result.links[0]!.trackingUrl}.\n(${two.expected}).`)
  })
})

it('adaptText leaves a marker of another sender or value as a merge tag would be', () => {
  const result = adaptText('https://example.com/x[[data-msys-clicktrack="1"]]', null, { configuration })
  expect(result.skipped.map((link) => link.reason)).toEqual(['placeholder'])
})
