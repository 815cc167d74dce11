import { load } from 'cheerio'
import { decodeHTMLAttribute } from 'entities'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findLinks } from './_internal/find-links'

// htmlparser2's tokenizer, with the corrections findLinks makes around it, must read markup as a
// browser does; parse5 (cheerio's other parser) implements the WHATWG tokenizer and tree builder
// in full. On random markup they must agree on every <a>/<area> and its href. The documents avoid what
// the tree builder rewrites (tables, <select>, SVG,
// <noscript>, script escapes), CR and NUL (parse5 normalises them), and count each source tag once
// (the tree builder clones an unclosed <a>), so any difference is ours.
const junk = fc.constantFrom('x', ' ', '\n', '\t', '>', '<', '"', "'", '=', '/', '&', '&amp;', '&quot;', '&gt;', '&copy', '&#x41;', '-', '!', '?', 'é', '😀')
const text = fc.array(junk, { maxLength: 8 }).map((parts) => parts.join(''))
const attributeName = fc.constantFrom('href', 'HREF', 'Href', 'class', 'data-x', 'x"y', "x'y", '=x', 'a<b', 'title')
const value = fc.oneof(
  text.map((v) => `"${v.replace(/"/g, '')}"`),
  text.map((v) => `'${v.replace(/'/g, '')}'`),
  text.map((v) => v.replace(/[\s>]/g, '')),
  fc.constantFrom('"https://example.com/?a=1&amp;b=2"', "'https://example.com/q'", 'https://example.com/u', '""'),
)
const separator = fc.constantFrom(' ', '\n', '\t', '/', ' / ', '', '  ')
const attribute = fc
  .tuple(separator, attributeName, fc.option(fc.tuple(fc.constantFrom('=', ' = ', '=\n'), value), { nil: undefined }))
  .map(([sep, name, assigned]) => `${sep === '' ? ' ' : sep}${name}${assigned ? assigned[0] + assigned[1] : ''}`)
const link = fc
  .tuple(fc.constantFrom('a', 'A', 'area'), fc.array(attribute, { maxLength: 4 }), separator, text)
  .map(([tag, attributes, end, inner]) =>
    tag === 'area' ? `<area${attributes.join('')}${end === '/' ? '/' : ''}>` : `<${tag}${attributes.join('')}>${inner.replace(/</g, '')}</${tag}>`,
  )
const rawText = fc
  .tuple(
    fc.constantFrom('title', 'textarea', 'style', 'script', 'xmp', 'iframe', 'noembed', 'noframes', 'TITLE', 'Style'),
    fc.constantFrom('', '/', ' /'),
    fc.constantFrom('<a href="https://raw.example/">x</a>', '</a>', '</titl', '</style x="</style>">', '\x1c\x0fstyle>', '\x1c/title>', ''),
    fc.constantFrom('>', '/>', ' >', '\n>', ' x=">">'),
  )
  .map(([tag, open, inner, close]) => `<${tag}${open}>${inner}</${tag.toLowerCase()}${close}`)
const other = fc.constantFrom(
  '<!-- <a href="https://comment.example/">x</a> -->', '<!-->', '<!--->', '<!-- a --!>', '<!-- -- -->', '<!---->',
  '<!--!>', '<!---!>', '<!----!>', '--!>', '-->', '<!-- --!-->', '<!>', '<!->', '<!-x>', '<![CDATA[ x ]]>', '<![CDATA[ > ]]>', '<![CDATA[',
  '<!DOCTYPE html>', '<?php x ?>', '</ a href="https://bogus.example/">', '</>', '<!x>', '</br>', '</p/>', '</ body>',
  '</p title="<a href=https://end-tag.example/>">', '</p title=">">', '</p/x=">">', '</div x=\'>', '<tmp>', '<xitle>', '<xextarea>', '<tmp/>',
  '<div data-x="<a href=https://attr.example/>">', '</div>', '<img src="x" alt=">">', '<br/>', '< a href="https://lt-space.example/">',
)
const documentArbitrary = fc
  .array(fc.oneof({ weight: 4, arbitrary: link }, { weight: 1, arbitrary: rawText }, { weight: 2, arbitrary: other }, { weight: 1, arbitrary: text }), { maxLength: 12 })
  .map((parts) => `<body>${parts.join('')}</body>`)

function ours(html: string): (string | undefined)[] {
  return findLinks(html, true)
    .elements.filter((element) => !element.inConditionalComment)
    .map((element) => (element.hasHref ? decodeHTMLAttribute(html.slice(element.hrefStart, element.hrefEnd)) : undefined))
}

/** parse5's links, one per start tag in the source: clones of an unclosed <a> have no source location. */
function parse5(html: string): (string | undefined)[] {
  return load(html, { sourceCodeLocationInfo: true })('a, area')
    .toArray()
    .filter((element) => element.sourceCodeLocation)
    .map((element) => element.attribs.href)
}

describe('findLinks reads markup as a browser does', () => {
  it('agrees with parse5 on every link of random markup', () => {
    fc.assert(
      fc.property(documentArbitrary, (html) => {
        expect(ours(html)).toEqual(parse5(html))
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with parse5 on the tricky cases it was written for', () => {
    const cases = [
      '<a href=x/>y</a>',
      '<a/href="https://slash.example/">x</a>',
      '<a href = "https://spaced.example/" href="https://second.example/">x</a>',
      '<a =href="https://eq.example/">x</a>',
      '<a x="1"href="https://glued.example/">x</a>',
      '<a href=\'https://single.example/?q="1"\'>x</a>',
      '<a href="https://unterminated.example/>x</a>',
      '<a href="https://eof.example/">x',
      '<!--><a href="https://after-abrupt.example/">x</a>',
      '<!-- --!><a href="https://after-bang.example/">x</a>',
      '<textarea><a href="https://inside.example/"></textarea ><a href="https://outside.example/">x</a>',
      '<script>"</script>"<a href="https://after-script.example/">x</a>',
      '<title>x</title\n><a href="https://after-title.example/">x</a>',
      '<![CDATA[<a href="https://cdata.example/">]]>x',
      '<plaintext><a href="https://plain.example/">',
      // Where htmlparser2 alone reads differently from browsers.
      '<!><a href="https://after-empty-declaration.example/">x</a>',
      '<!-><a href="https://after-dash-declaration.example/">x</a>',
      '<![CDATA[ x > <a href="https://after-cdata-gt.example/">x</a> ]]>',
      '<![CDATA[ x > <![CDATA[ y > <a href="https://after-cdatas.example/">x</a>',
      '<!-- --!><a href="https://after-bang-close.example/">x</a> -->',
      '<!-- ---!><a href="https://after-dashes-bang.example/">x</a>',
      '<!--!><a href="https://in-bang-open.example/">x</a> --><a href="https://after-bang-open.example/">y</a>',
      '<!---!><a href="https://in-bang-open2.example/">x</a> --!><a href="https://after-bang-open2.example/">y</a>',
      '<!----!><a href="https://after-empty-bang.example/">x</a>',
      '<!-- <!--!><a href="https://after-nested-bang.example/">x</a>',
      '</p title="><a href=\'https://in-end-tag.example/\'>"><a href="https://after-end-tag.example/">x</a>',
      '</p title=">"><a href="https://after-quoted-gt.example/">x</a>',
      '</p/x="><a href=\'https://in-slash-end.example/\'>"><a href="https://after-slash-end.example/">x</a>',
      '</p title="<a href=https://unclosed-end.example/>',
      '<title/><a href="https://in-title.example/">x</a></title><a href="https://after-title.example/">x</a>',
      '<style></style/><a href="https://after-style-slash.example/">x</a>',
      '<style>\x1c\x0fstyle><a href="https://control.example/">x</a></style><a href="https://after-control.example/">x</a>',
      '<tmp><a href="https://tmp.example/">x</a></tmp>',
      '<xitle><a href="https://xitle.example/">x</a>',
      '<xextarea><a href="https://xextarea.example/">x</a>',
      '<iframe><a href="https://iframe.example/">x</a></iframe><a href="https://after-iframe.example/">y</a>',
      '<noembed><a href="https://noembed.example/"></noembed ><a href="https://after-noembed.example/">',
      '<noframes><a href="https://noframes.example/"></noframes/><a href="https://after-noframes.example/">',
      '<xmp></xmp ><a href="https://after-xmp.example/">x</a>',
    ]
    for (const html of cases) expect(ours(html), html).toEqual(parse5(html))
  })
})
