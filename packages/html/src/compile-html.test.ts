import { Configuration, getClickTrackingResult, getOpenTrackingResult, type Codec, type Metadata } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { thrownBy } from '../../../test-utils/errors'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { configuration } from '../test/fidelity'
import { htmlish } from '../test/generated-html'
import { adaptHtml, adaptText, compileHtml, compileText, type AdaptHtmlOptions, type LinkContext } from './index'

const files = corpusFiles()
// The generated markup, with the opt-outs that rewrite an href (Postal's `+notrack`) and
// malformed http(s) links (left untracked with a warning) mixed in.
const oddLinks = ['<a href="https+notrack://example.com/p">', '<a href="HTTP&#43;notrack://example.com/q">', ' data-msys-clicktrack="0" ', '<a href="http://">', '<a href="https:/example.com/r">']
const markup = fc
  .array(fc.oneof(htmlish, fc.constantFrom(...oddLinks)), { maxLength: 4 })
  .map((parts) => parts.join(''))

/** A deterministic codec other than base64, so the general sealing path is compared byte for byte. */
const hexCodec: Codec = {
  name: 'hex',
  authenticated: false,
  seal: (payload) => Array.from(payload, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(''),
  open: (token) => String.fromCharCode(...(token.match(/../g) ?? []).map((pair) => parseInt(pair, 16))),
}

const configurations = [
  configuration,
  configuration.with({ appendSlash: true, webhookUrl: 'https://hooks.example.com/h?a=1&b=2', includeWebhookUrl: true }),
  configuration.with({ defaultMetadata: { app: 'news', customer_id: 0 }, includeDefaultMetadata: true }),
  configuration.with({ codec: hexCodec }),
  // Short enough that some recipients' links are too long, and others' are not.
  configuration.with({ maxLinkLength: 150 }),
  configuration.with({ baseClickTrackingUrl: "https://t.example.com/c/a'b&amp;<é>/" }),
]

const jsonLeaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
)
const metadataArb: fc.Arbitrary<Metadata | null | undefined> = fc.oneof(
  fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('customer_id', 'link_index', 'link_id')), fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })), { maxKeys: 5 }),
  fc.constantFrom(null, undefined, {}),
) as fc.Arbitrary<Metadata | null | undefined>

const perLink = (link: LinkContext): Metadata | null => (link.index === null ? null : { position: link.index, tag: link.tagName })
const optionsArb: fc.Arbitrary<AdaptHtmlOptions> = fc.record({
  configuration: fc.constantFrom(...configurations),
  pixelPosition: fc.constantFrom<AdaptHtmlOptions['pixelPosition'][]>(undefined, 'top', 'bottom', { placeholder: '<!--' }, { placeholder: 'é' }),
  linkMetadata: fc.constantFrom<AdaptHtmlOptions['linkMetadata'][]>(undefined, true, perLink),
  clickTracking: fc.constantFrom(undefined, true, false),
  openTracking: fc.constantFrom(undefined, true, false),
  clipWarningBytes: fc.constantFrom(undefined, 0, 200, 10_000),
  trapLink: fc.constantFrom<AdaptHtmlOptions['trapLink'][]>(undefined, false, true, { url: 'https://www.example.com/' }),
}).map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as AdaptHtmlOptions)

/** compileHtml's render and adaptHtml agree for every recipient, and so do their errors. */
function expectSameAsAdaptHtml(html: string, options: AdaptHtmlOptions, recipients: readonly (Metadata | null | undefined)[]): void {
  let template: ReturnType<typeof compileHtml>
  try {
    template = compileHtml(html, options)
  } catch (error) {
    // Options adaptHtml refuses: refused when compiling, with adaptHtml's error (in compileHtml's name).
    for (const metadata of recipients) expect(thrownBy(() => adaptHtml(html, metadata, options))).toMatchObject({ code: (error as { code: string }).code })
    return
  }
  for (const metadata of recipients) {
    let reference: ReturnType<typeof adaptHtml>
    try {
      reference = adaptHtml(html, metadata, options)
    } catch (error) {
      expect(thrownBy(() => template.render(metadata))).toEqual(error)
      continue
    }
    expect(template.render(metadata)).toEqual(reference)
  }
}

describe('compileHtml', () => {
  it('renders what adaptHtml gives, byte for byte, on generated documents, options and recipients', () => {
    fc.assert(
      fc.property(markup, optionsArb, fc.array(metadataArb, { minLength: 1, maxLength: 4 }), (html, options, recipients) => {
        expectSameAsAdaptHtml(html, options, recipients)
      }),
      { numRuns: 1500 },
    )
  })

  describe.skipIf(files.length === 0)('on the email corpus', () => {
    const recipients: Metadata[] = [benchWorkload.metadata, { message_id: '<a.b@example.com>', name: 'Zoë "Z" <z@example.com>' }, { customer_id: 1 }]
    it.each(files)('$name: every render is adaptHtml for that recipient', ({ html }) => {
      for (const options of [{ configuration }, { configuration, linkMetadata: true, pixelPosition: 'top' as const }]) {
        expectSameAsAdaptHtml(html, options, recipients)
      }
      fc.assert(fc.property(metadataArb, optionsArb, (metadata, options) => expectSameAsAdaptHtml(html, options, [metadata])), { numRuns: 15 })
    })
  })
  if (files.length === 0) it.skip('on the email corpus is skipped: ../shared/corpus/email is absent (it sits beside the checkout in CI, not in a fresh clone)', () => {})

  it('with Fernet links, each link opens to its destination and the recipient’s metadata', () => {
    const fernet = configuration.with({ codec: fernetCodec(benchWorkload.fernetKey) })
    const html = '<body><a href="https://example.com/a">A</a> <a href="https://example.com/b?x=1&amp;y=2">B</a> <a href="https://example.com/a">A again</a></body>'
    const template = compileHtml(html, { configuration: fernet, linkMetadata: true })
    for (const id of ['m-1', 'm-2']) {
      const result = template.render({ message_id: id })
      const reference = adaptHtml(html, { message_id: id }, { configuration: fernet, linkMetadata: true })
      expect(result.links.map((link) => link.url)).toEqual(reference.links.map((link) => link.url))
      result.links.forEach((link, index) => {
        const decoded = getClickTrackingResult(link.trackingUrl, { configuration: fernet })
        expect(decoded.trackedUrl).toBe(link.url)
        expect(decoded.metadata).toEqual({ message_id: id, link_index: index })
        expect(result.html).toContain(`href="${link.trackingUrl}"`)
      })
      expect(getOpenTrackingResult(result.pixel!.url, { configuration: fernet }).metadata).toEqual({ message_id: id })
    }
  })

  it('warns about malformed links as adaptHtml does, for every recipient', () => {
    // Templates leave `http://` where a URL is to be filled in; it is no link to track.
    const html = '<body><a href="http://">Survey</a> <a href="https:/example.com/x">x</a> <a href="https://example.com/ok">ok</a></body>'
    const template = compileHtml(html, { configuration })
    for (const metadata of [{ customer_id: 1 }, { customer_id: 2 }]) {
      const result = template.render(metadata)
      expect(result).toEqual(adaptHtml(html, metadata, { configuration }))
      expect(result.warnings.map((warning) => warning.code)).toEqual(['invalid-url'])
      expect(result.warnings[0]!.message).toMatch(/^2 link\(s\) were left untracked/)
    }
  })

  it('throws for a recipient what adaptHtml throws, and renders the next one', () => {
    const html = '<body><a href="https://example.com/">x</a></body>'
    const template = compileHtml(html, { configuration })
    for (const bad of [{ n: Number.NaN }, { big: 1n }, new Map(), [1], 'text', { nested: { fn: () => 1 } }] as unknown as Metadata[]) {
      const error = thrownBy(() => template.render(bad))
      expect(error).toEqual(thrownBy(() => adaptHtml(html, bad, { configuration })))
      expect((error as Error).constructor).toBe((thrownBy(() => adaptHtml(html, bad, { configuration })) as Error).constructor)
    }
    expect(template.render({ ok: 1 })).toEqual(adaptHtml(html, { ok: 1 }, { configuration }))
  })

  it('checks its options when compiling, as adaptHtml does', () => {
    expect(thrownBy(() => compileHtml(42 as unknown as string))).toMatchObject({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' })
    expect(thrownBy(() => compileHtml('<a href="https://x.example/">', { configuration, denyDomains: 'x' as unknown as string[] }))).toMatchObject({
      code: 'ERR_PYTRACK_INVALID_ARGUMENT',
    })
    expect(thrownBy(() => compileHtml('<a>', { configuration: new Configuration() }))).toMatchObject({ code: 'ERR_PYTRACK_CONFIGURATION' })
  })

  it('calls shouldTrackLink and linkMetadata once a link, at compile time, and keeps the options it was given', () => {
    let calls = 0
    const options: AdaptHtmlOptions = {
      configuration,
      shouldTrackLink: (link) => (calls++, !link.url.includes('skip')),
      linkMetadata: (link) => ({ id: link.id }),
    }
    const html = '<a href="https://example.com/1" data-link-id="one">1</a><a href="https://example.com/skip">2</a>'
    const template = compileHtml(html, options)
    expect(calls).toBe(2)
    options.linkMetadata = true
    const first = template.render({ message_id: 'm' })
    expect(calls).toBe(2)
    expect(first.links).toHaveLength(1)
    expect(getClickTrackingResult(first.links[0]!.trackingUrl, { configuration }).metadata).toEqual({ message_id: 'm', id: 'one' })
    expect(first.skipped.map((link) => link.reason)).toEqual(['predicate'])
    expect(template.linkCount).toBe(1)
  })
})

describe('compileText', () => {
  const textish = fc
    .array(fc.oneof(fc.constantFrom('https://', 'http://', 'https+notrack://', '[[data-msys-clicktrack="0"]]', 'example.com', '/p', '?q=1&r=é', '(', ')', '.', ' ', '\n', '{{', '}}'), fc.string({ maxLength: 5 })), {
      maxLength: 30,
    })
    .map((parts) => parts.join(''))

  it('renders what adaptText gives, byte for byte', () => {
    fc.assert(
      fc.property(textish, optionsArb, fc.array(metadataArb, { minLength: 1, maxLength: 3 }), (text, { configuration: config, linkMetadata, clickTracking }, recipients) => {
        const options = { configuration: config, ...(linkMetadata === undefined ? {} : { linkMetadata }), ...(clickTracking === undefined ? {} : { clickTracking }) }
        const template = compileText(text, options)
        for (const metadata of recipients) expect(template.render(metadata)).toEqual(adaptText(text, metadata, options))
      }),
      { numRuns: 1000 },
    )
  })

  it('throws for a recipient what adaptText throws', () => {
    const template = compileText('See https://example.com/', { configuration })
    const bad = { n: Number.POSITIVE_INFINITY }
    expect(thrownBy(() => template.render(bad))).toEqual(thrownBy(() => adaptText('See https://example.com/', bad, { configuration })))
  })
})
