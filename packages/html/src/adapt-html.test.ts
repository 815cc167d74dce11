import { readFileSync } from 'node:fs'
import { Configuration, getClickTrackingResult, isPytrackError, type ConfigurationError } from '@pytrack/core'
import { load } from 'cheerio'
import { describe, expect, it } from 'vitest'
import { thrownBy } from '../../../test-utils/errors'
import { configuration, expectFaithful } from '../test/fidelity'
import { adaptHtml, adaptText, type AdaptHtmlResult, type LinkContext } from './index'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const destinations = (result: AdaptHtmlResult): string[] => result.links.map((link) => link.url)
const reasons = (result: AdaptHtmlResult): Record<string, string> =>
  Object.fromEntries(result.skipped.map((link) => [link.href ?? `<${link.tagName}>`, link.reason]))

describe('adaptHtml on quoting styles and entities', () => {
  const input = fixture('quoting-and-entities.html')
  const result = adaptHtml(input, { customer_id: 7 }, { configuration })

  it('changes nothing but the tracked hrefs and the pixel', () => {
    expectFaithful(input, result)
  })

  it('tracks http(s) and // links in any case, entity-decoded once and trimmed', () => {
    expect(destinations(result)).toEqual([
      'https://example.com/double?a=1&b=2',
      'https://example.com/single?q="quoted"&x=1',
      'https://example.com/unquoted?x=1&y=2',
      'https://example.com/spaces-around-equals',
      'Http://Example.com/Mixed',
      'https://example.com/first',
      'https://example.com/padded',
      'https://example.com/wrapped?very=long&query=string',
      'https://example.com/café?x=12&copy=©',
      'https://example.com/legacy?a=1&copy=2&c=3',
      'https://example.com/emoji/😀',
      '//cdn.example.com/protocol-relative',
      'https://example.com/img',
      'https://example.com/area',
    ])
  })

  it('keeps the quote style and quotes an unquoted value', () => {
    const [double, single, unquoted] = result.links
    expect(result.html).toContain(`<a href="${double!.trackingUrl}">double</a>`)
    expect(result.html).toContain(`<a href='${single!.trackingUrl}'>single`)
    expect(result.html).toContain(`<a href="${unquoted!.trackingUrl}" class=plain>unquoted</a>`)
    expect(result.html).toContain('<a HREF = "https://t.example.com/c/')
    // The second, ignored href stays as written.
    expect(result.html).toContain('href="https://example.com/second"')
  })

  it('leaves text in title, style, script and textarea alone', () => {
    for (const host of ['title', 'style', 'script', 'textarea']) {
      expect(result.html).toContain(`https://${host}.example.com/`)
    }
  })

  it('leaves other schemes, relative, blank and valueless hrefs alone', () => {
    expect(reasons(result)).toEqual({
      'ftp://example.com/file': 'not-http',
      '/relative/path': 'not-http',
      'example.com/no-scheme': 'not-http',
      'data:text/html,hi': 'not-http',
      'JavaScript:alert(1)': 'not-http',
      '   ': 'empty',
      '': 'empty',
    })
  })

  it('puts the pixel right before </body>, whatever its case', () => {
    expect(result.html).toMatch(/<img src="https:\/\/t\.example\.com\/o\/[^"]+" width="1" height="1" alt="" border="0" style="[^"]+" \/><\/Body>/)
  })
})

describe('adaptHtml on Outlook conditional comments', () => {
  const input = fixture('outlook-vml.html')
  const result = adaptHtml(input, { customer_id: 7 }, { configuration, linkMetadata: true })

  it('changes nothing but the tracked hrefs and the pixel', () => {
    expectFaithful(input, result)
  })

  it('gives a VML button the tracking link of its HTML twin', () => {
    const [vml, html] = result.links
    expect(vml).toMatchObject({ tagName: 'v:roundrect', inConditionalComment: true, index: 0, id: 'buy-button' })
    expect(html).toMatchObject({ tagName: 'a', inConditionalComment: false, index: 0, id: 'buy-button' })
    expect(vml!.trackingUrl).toBe(html!.trackingUrl)
    expect(getClickTrackingResult(vml!.trackingUrl, { configuration }).metadata).toEqual({
      customer_id: 7,
      link_index: 0,
      link_id: 'buy-button',
    })
  })

  it('tracks Outlook-only links on their own, without a position', () => {
    const outlookOnly = result.links.filter((link) => link.index === null)
    expect(outlookOnly.map((link) => [link.tagName, link.url])).toEqual([
      ['v:rect', 'https://outlook-only.example.com/offer'],
      ['a', 'https://outlook-text.example.com/read'],
    ])
    expect(getClickTrackingResult(outlookOnly[0]!.trackingUrl, { configuration }).metadata).toEqual({ customer_id: 7 })
    // Single quotes inside the comment are kept.
    expect(result.html).toContain(`<v:rect href='${outlookOnly[0]!.trackingUrl}'`)
  })

  it('follows the twin that opted out, skips placeholders, and never enters ordinary comments', () => {
    expect(reasons(result)).toEqual({
      'https://quiet.example.com/': 'opt-out',
      '{{ unsubscribe_url }}': 'placeholder',
    })
    expect(result.skipped.filter((link) => link.inConditionalComment)).toHaveLength(2)
    expect(result.html).toContain('<a href="https://commented-out.example.com/">old</a> -->')
  })

  it('leaves the comment delimiters and the downlevel-revealed fallback byte for byte', () => {
    const comments = (html: string): string[] => html.match(/<!--\[if[^\]]*\]>|<!\[endif\]-->|<!--<!\[endif\]-->/gi) ?? []
    expect(comments(result.html)).toEqual(comments(input))
  })

  it('reads the inside of a conditional comment as markup, whatever the case, and only up to the comment end', () => {
    const html =
      '<body><!--[IF MSO]><style>v\\:* { behavior: url(#default#VML); }</style><V:ROUNDRECT HREF="https://example.com/buy">' +
      '<![ENDIF]--><a href="https://example.com/buy">Buy</a><!--[if mso]><a href="https://example.com/end"><![endif]--!>' +
      '<a href="https://example.com/after">x</a></body>'
    const found = adaptHtml(html, null, { configuration })
    expect(found.links.map((link) => [link.tagName, link.inConditionalComment, link.url])).toEqual([
      ['v:roundrect', true, 'https://example.com/buy'],
      ['a', false, 'https://example.com/buy'],
      ['a', true, 'https://example.com/end'],
      ['a', false, 'https://example.com/after'],
    ])
    expect(found.links[0]!.trackingUrl).toBe(found.links[1]!.trackingUrl)
    expectFaithful(html, found)
  })

  it('can leave conditional comments out by a predicate', () => {
    const htmlOnly = adaptHtml(input, null, { configuration, shouldTrackLink: (link) => !link.inConditionalComment })
    expect(htmlOnly.links.map((link) => link.tagName)).toEqual(['v:roundrect', 'a'])
    expect(htmlOnly.skipped.filter((link) => link.reason === 'predicate').map((link) => link.tagName)).toEqual(['v:rect', 'a'])
  })
})

describe('adaptHtml opt-outs and placeholders', () => {
  const input = fixture('opt-outs-and-placeholders.html')
  const result = adaptHtml(input, { customer_id: 7 }, { configuration })

  it('changes nothing but the tracked hrefs and the pixel', () => {
    expectFaithful(input, result)
  })

  it("honours other senders' opt-out attributes and keeps them in the output", () => {
    expect(destinations(result)).toEqual(['https://example.com/tracked', 'https://example.com/sendgrid-on'])
    for (const attribute of ['data-notrack', 'clicktracking="off"', 'clicktracking=OFF', 'data-pm-no-track', 'ses:no-track']) {
      expect(result.html).toContain(attribute)
    }
  })

  it('never tracks a link holding a merge tag', () => {
    const placeholders = result.skipped.filter((link) => link.reason === 'placeholder').map((link) => link.href)
    expect(placeholders).toEqual([
      '{{ view_in_browser_url }}',
      'https://example.com/u/{{user.id}}/prefs',
      'https://example.com/?ref={% raw %}x{% endraw %}',
      '*|ARCHIVE|*',
      'https://example.com/?e=*|EMAIL|*',
      '%%unsub_center_url%%',
      '[[unsubscribe]]',
      'https://example.com/%7B%7Bencoded%7D%7D',
    ])
  })

  it('replaces a pixel placeholder', () => {
    const placed = adaptHtml(input, null, { configuration, clickTracking: false, pixelPosition: { placeholder: '<!-- pytrack-pixel -->' } })
    expect(placed.html).toBe(input.replace('<!-- pytrack-pixel -->', placed.pixel!.html))
    expect(placed.warnings).toEqual([])
    expectFaithful(input, placed)
  })
})

describe('adaptHtml pixel position', () => {
  const page = '<!doctype html><html><head></head><body class="x"><p>Hi</p></body></html>'

  it("'top' puts it right after <body ...>", () => {
    const result = adaptHtml(page, null, { configuration, pixelPosition: 'top' })
    expect(result.html).toBe(page.replace('<body class="x">', `<body class="x">${result.pixel!.html}`))
  })

  it('appends it at the end when there is no body, and says so', () => {
    for (const pixelPosition of ['bottom', 'top'] as const) {
      const result = adaptHtml('<p>Hi <a href="https://example.com/">there</a></p>', null, { configuration, pixelPosition })
      expect(result.html.endsWith(`</p>${result.pixel!.html}`)).toBe(true)
      expect(result.warnings.map((w) => w.code)).toEqual(['no-body'])
    }
  })

  it('ignores a </body> inside a comment or a script, and uses the last real one', () => {
    const tricky = '<body><!-- </body> --><script>"</body>"</script><p>x</p></body>\n</body >'
    const result = adaptHtml(tricky, null, { configuration, clickTracking: false })
    expect(result.html).toBe(tricky.replace('\n</body >', `\n${result.pixel!.html}</body >`))
  })

  it('finds </body> as browsers do: not after `</ `, also as `</body/>` or with attributes, not when cut off', () => {
    const pixelBefore = (html: string, endTag: string): void => {
      const result = adaptHtml(html, null, { configuration, clickTracking: false })
      const at = html.lastIndexOf(endTag)
      expect(result.pixel!.start, html).toBe(at)
      expect(result.html).toBe(html.slice(0, at) + result.pixel!.html + html.slice(at))
    }
    pixelBefore('<body><p>x</p></body/></ body>', '</body/>')
    pixelBefore('<body><p>x</p></BODY title=">"></body', '</BODY title=">">')
    pixelBefore('<body><p>x</p></body>\n</body x="', '</body>')
  })

  it('falls back to the bottom when the placeholder is missing, or only inside a link', () => {
    const result = adaptHtml('<body><a href="https://example.com/{PIXEL}">x</a></body>', null, {
      configuration,
      pixelPosition: { placeholder: '{PIXEL}' },
    })
    expect(result.warnings.map((w) => w.code)).toEqual(['pixel-placeholder-missing'])
    expect(result.html.endsWith(`${result.pixel!.html}</body>`)).toBe(true)
  })

  it('replaces only the first placeholder, with a warning', () => {
    const result = adaptHtml('<body>[px] [px]</body>', null, { configuration, pixelPosition: { placeholder: '[px]' } })
    expect(result.html).toBe(`<body>${result.pixel!.html} [px]</body>`)
    expect(result.warnings.map((w) => w.code)).toEqual(['pixel-placeholder-repeated'])
  })

  it('matches pytracking: the pixel is the last element of the body (parse5 agrees)', () => {
    const result = adaptHtml(page, null, { configuration })
    const $ = load(result.html)
    expect($('body').children().last().attr('src')).toBe(result.pixel!.url)
  })
})

describe('adaptHtml options', () => {
  const html =
    '<body><a href="https://www.example.com/a">a</a><a href="https://shop.example.org/b" data-link-id="b&amp;c">b</a>' +
    '<a href="https://example.net/c" class="footer">c</a><a href="https://t.example.com/c/e30=">tracked</a></body>'

  it('does what pytracking does with clickTracking and openTracking off', () => {
    expect(adaptHtml(html, null, { configuration, clickTracking: false, openTracking: false })).toEqual({
      html,
      links: [],
      skipped: [],
      pixel: null,
      trapLink: null,
      warnings: [],
    })
    const clicksOnly = adaptHtml(html, null, { configuration, openTracking: false })
    expect(clicksOnly.pixel).toBeNull()
    expect(clicksOnly.links).toHaveLength(3)
  })

  it('takes field overrides next to a configuration, as pytracking kwargs', () => {
    const result = adaptHtml(html, null, { configuration, baseClickTrackingUrl: 'https://other.example.com/go/', openTracking: false })
    expect(result.links[0]!.trackingUrl.startsWith('https://other.example.com/go/')).toBe(true)
  })

  it('does not track a link twice', () => {
    expect(reasons(adaptHtml(html, null, { configuration }))).toEqual({ 'https://t.example.com/c/e30=': 'already-tracked' })
    const once = adaptHtml(html, null, { configuration, openTracking: false })
    expect(adaptHtml(once.html, null, { configuration, openTracking: false }).html).toBe(once.html)
  })

  it('applies domain allow and deny lists to hosts and their subdomains', () => {
    const allowed = adaptHtml(html, null, { configuration, allowDomains: ['Example.COM', '.example.org'] })
    expect(destinations(allowed)).toEqual(['https://www.example.com/a', 'https://shop.example.org/b'])
    const denied = adaptHtml(html, null, { configuration, allowDomains: ['example.com', 'example.org'], denyDomains: ['*.example.org'] })
    expect(destinations(denied)).toEqual(['https://www.example.com/a'])
    expect(denied.skipped.map((link) => link.reason)).toEqual(['domain', 'domain', 'already-tracked'])
    const idn = adaptHtml('<a href="https://例え.jp/パス">x</a><a href="https://xn--r8jz45g.jp/">y</a><a href="https://other.jp/">z</a>', null, {
      configuration,
      allowDomains: ['例え.jp'],
    })
    expect(idn.links.map((link) => link.url)).toEqual(['https://例え.jp/パス', 'https://xn--r8jz45g.jp/'])
  })

  it('reads a host written with its final dot (a fully qualified name) as the same host', () => {
    const fqdn = '<a href="https://unsubscribe.example.com./x">u</a><a href="https://www.example.org./y">w</a>'
    const denied = adaptHtml(fqdn, null, { configuration, openTracking: false, denyDomains: ['example.com'] })
    expect(denied.skipped.map((link) => link.reason)).toEqual(['domain'])
    expect(destinations(denied)).toEqual(['https://www.example.org./y'])
    const allowed = adaptHtml(fqdn, null, { configuration, openTracking: false, allowDomains: ['example.org'] })
    expect(destinations(allowed)).toEqual(['https://www.example.org./y'])
  })

  it('asks the predicate about each trackable link, with its attributes', () => {
    const seen: LinkContext[] = []
    const result = adaptHtml(html, null, {
      configuration,
      shouldTrackLink: (link) => {
        seen.push(link)
        return link.attributes.class !== 'footer'
      },
    })
    expect(seen.map((link) => [link.index, link.id, link.tagName])).toEqual([
      [0, null, 'a'],
      [1, 'b&c', 'a'],
      [2, null, 'a'],
    ])
    expect(destinations(result)).toEqual(['https://www.example.com/a', 'https://shop.example.org/b'])
  })

  it('adds per-link metadata from a callback', () => {
    const result = adaptHtml(html, { campaign: 'fall' }, { configuration, linkMetadata: (link) => ({ link: link.id ?? `#${link.index}` }) })
    const sealed = result.links.map((link) => getClickTrackingResult(link.trackingUrl, { configuration }).metadata)
    expect(sealed).toEqual([
      { campaign: 'fall', link: '#0' },
      { campaign: 'fall', link: 'b&c' },
      { campaign: 'fall', link: '#2' },
    ])
  })

  it('reuses one tracking URL for repeated destinations without per-link metadata', () => {
    const result = adaptHtml('<a href="https://x.example/">1</a><a href=" https://x.example/ ">2</a>', null, { configuration })
    expect(result.links[0]!.trackingUrl).toBe(result.links[1]!.trackingUrl)
  })

  it('warns when the output passes the Gmail clipping size, suggesting a top pixel', () => {
    const big = `<body>${'<p>Lorem ipsum dolor sit amet.</p>\n'.repeat(3000)}</body>`
    const result = adaptHtml(big, null, { configuration })
    expect(result.warnings.map((w) => w.code)).toEqual(['gmail-clipping'])
    expect(result.warnings[0]!.message).toContain("pixelPosition: 'top'")
    expect(adaptHtml(big, null, { configuration, clipWarningBytes: 1e6 }).warnings).toEqual([])
    // Counted in UTF-8 bytes: 40,000 'é' are 40,000 characters but 80,000 bytes.
    const accents = `<body>${'é'.repeat(40_000)}</body>`
    expect(adaptHtml(accents, null, { configuration, clipWarningBytes: 60_000 }).warnings.map((w) => w.code)).toEqual(['gmail-clipping'])
    expect(adaptHtml(accents, null, { configuration, clipWarningBytes: 90_000 }).warnings).toEqual([])
  })

  it('leaves a link whose tracking URL would be too long, with a warning', () => {
    const long = `https://example.com/${'x'.repeat(3000)}`
    const result = adaptHtml(`<body><a href="${long}">x</a><a href="https://example.com/">y</a></body>`, null, { configuration })
    expect(result.skipped.map((link) => link.reason)).toEqual(['link-too-long'])
    expect(result.links).toHaveLength(1)
    expect(result.warnings.map((w) => w.code)).toEqual(['link-too-long'])
  })
})

describe('adaptHtml for a recipient who must not be tracked', () => {
  it('leaves the whole message as it is when the metadata says track: false, and tracks it otherwise', () => {
    const html = '<html><body><a href="https://example.com/a">a</a></body></html>'
    expect(adaptHtml(html, { customer_id: 1, track: false }, { configuration })).toMatchObject({ html, links: [], pixel: null })
    expect(adaptText('See https://example.com/a', { track: false }, { configuration })).toMatchObject({ text: 'See https://example.com/a', links: [] })
    // Only `false` itself opts out: a string or a true value tracks as usual.
    for (const track of ['false', true, 0]) {
      const result = adaptHtml(html, { track }, { configuration })
      expect(result.links).toHaveLength(1)
      expect(result.pixel).not.toBeNull()
    }
  })
})

describe('adaptHtml errors', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn()
    } catch (error) {
      expect(isPytrackError(error)).toBe(true)
      return (error as { code: string }).code
    }
    return undefined
  }

  it('refuses input that is not a string with a typed error', () => {
    for (const input of [undefined, null, 42, Buffer.from('<p>x</p>'), { html: '' }]) {
      expect(code(() => adaptHtml(input as never, null, { configuration }))).toBe('ERR_PYTRACK_INVALID_ARGUMENT')
    }
  })

  it('refuses bad options with a message naming the option', () => {
    const bad: [object, RegExp][] = [
      [{ clickTracking: 'yes' }, /clickTracking/],
      [{ pixelPosition: 'middle' }, /pixelPosition/],
      [{ pixelPosition: { placeholder: '' } }, /pixelPosition/],
      [{ allowDomains: 'example.com' }, /allowDomains/],
      [{ denyDomains: ['https://example.com/'] }, /denyDomains/],
      [{ shouldTrackLink: true }, /shouldTrackLink/],
      [{ linkMetadata: 'yes' }, /linkMetadata/],
      [{ linkMetadata: () => 'link-1' }, /linkMetadata returned string/],
      [{ clipWarningBytes: -1 }, /clipWarningBytes/],
      [{ configuration: {} }, /configuration/],
    ]
    for (const [options, message] of bad) {
      expect(() => adaptHtml('<a href="https://example.com/">x</a>', null, { configuration, ...options } as never)).toThrow(message)
      expect(code(() => adaptHtml('<a href="https://example.com/">x</a>', null, { configuration, ...options } as never))).toBe('ERR_PYTRACK_INVALID_ARGUMENT')
    }
    expect(code(() => adaptHtml('', null, 'options' as never))).toBe('ERR_PYTRACK_INVALID_ARGUMENT')
  })

  it('says which base URL is missing', () => {
    expect(code(() => adaptHtml('<p>x</p>', null, { baseOpenTrackingUrl: 'https://t.example.com/o/' }))).toBe('ERR_PYTRACK_CONFIGURATION')
    expect(code(() => adaptHtml('<p>x</p>', null, { baseClickTrackingUrl: 'https://t.example.com/c/' }))).toBe('ERR_PYTRACK_CONFIGURATION')
    const setting = (options: object): unknown => (thrownBy(() => adaptHtml('<p>x</p>', null, options)) as ConfigurationError).setting
    expect(setting({ baseOpenTrackingUrl: 'https://t.example.com/o/' })).toBe('baseClickTrackingUrl')
    expect(setting({ baseClickTrackingUrl: 'https://t.example.com/c/' })).toBe('baseOpenTrackingUrl')
    const clicksOnly = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/' })
    expect(adaptHtml('<p>x</p>', null, { configuration: clicksOnly, openTracking: false }).html).toBe('<p>x</p>')
  })

  it('refuses metadata JSON cannot carry', () => {
    expect(code(() => adaptHtml('<p>x</p>', { total: Number.NaN }, { configuration }))).toBe('ERR_PYTRACK_METADATA')
  })
})

describe('hrefs a browser reads differently from the redirect (core parseClickDestination)', () => {
  const malformed = ['https://e.com\\x', 'https:/e.com/x', 'https:e.com/x', 'https://e.com:8080\\x', 'https://e.com/\ud800', 'https://e.com/a\\b']

  it('adaptHtml leaves them untracked with reason invalid-url and one invalid-url warning', () => {
    const html = `<html><body>${malformed.map((href) => `<a href="${href}">x</a>`).join('')}<a href="https://e.com/ok">ok</a><a href="mailto:a@e.com">m</a></body></html>`
    const result = adaptHtml(html, null, { configuration, openTracking: false })
    expect(destinations(result)).toEqual(['https://e.com/ok'])
    expect(result.skipped.map((link) => link.reason)).toEqual([...malformed.map(() => 'invalid-url'), 'not-http'])
    expect(result.warnings.filter((warning) => warning.code === 'invalid-url')).toHaveLength(1)
    expect(result.warnings.find((warning) => warning.code === 'invalid-url')?.message).toMatch(/^6 link\(s\)/)
    for (const href of malformed) expect(result.html).toContain(`href="${href}"`)
  })

  it('adaptText leaves them untracked with a warning too', () => {
    const { text, links, skipped, warnings } = adaptText('See https://e.com\\x and https://e.com:8080\\x or https://e.com/ok.', null, { configuration })
    expect(links.map((link) => link.url)).toEqual(['https://e.com/ok'])
    expect(skipped.map((link) => [link.href, link.reason])).toEqual([
      ['https://e.com\\x', 'invalid-url'],
      ['https://e.com:8080\\x', 'invalid-url'],
    ])
    expect(warnings.map((warning) => warning.code)).toEqual(['invalid-url'])
    expect(text.startsWith('See https://e.com\\x and https://e.com:8080\\x or https://t.')).toBe(true)
  })

  it('a clean document gets no invalid-url warning', () => {
    expect(adaptHtml('<a href="https://e.com/">x</a>', null, { configuration }).warnings.map((w) => w.code)).not.toContain('invalid-url')
  })
})
