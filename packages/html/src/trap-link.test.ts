import { getClickTrackingResult, isPytrackError } from '@pytrack/core'
import { load } from 'cheerio'
import { describe, expect, it } from 'vitest'
import { thrownBy } from '../../../test-utils/errors'
import { configuration } from '../test/fidelity'
import { TRAP_METADATA_KEY, adaptHtml } from './index'

const email = '<!doctype html><html><body class="x"><p><a href="https://shop.example.com/sale?a=1">Sale</a></p></body></html>'

describe('adaptHtml trapLink', () => {
  it('is off by default', () => {
    const result = adaptHtml(email, { message_id: 'm-1' }, { configuration })
    expect(result.trapLink).toBeNull()
    expect(result.html).not.toContain('data-pytrack-trap')
  })

  it('adds one empty link right after <body>, hidden from sight, screen readers and the tab order', () => {
    const result = adaptHtml(email, { message_id: 'm-1' }, { configuration, trapLink: true })
    const trap = result.trapLink!
    expect(result.html).toContain(`<body class="x">${trap.html}`)
    expect(result.html.replace(trap.html, '').replace(result.pixel!.html, '')).toBe(
      email.replace('https://shop.example.com/sale?a=1', result.links[0]!.trackingUrl),
    )
    // parse5 (a browser's tokenizer and tree builder) reads it as one more link of the body.
    const $ = load(result.html)
    const anchor = $('a[data-pytrack-trap]')
    expect(anchor.length).toBe(1)
    expect(anchor.parent().is('body')).toBe(true)
    expect(anchor.text()).toBe('')
    expect(anchor.children().length).toBe(0)
    expect(anchor.attr('aria-hidden')).toBe('true')
    expect(anchor.attr('tabindex')).toBe('-1')
    expect(anchor.attr('style')).toBe('display:none')
    expect(anchor.attr('href')).toBe(trap.trackingUrl)
  })

  it("seals the email's metadata and pytrack_trap into it, and redirects to the first link's origin", () => {
    const result = adaptHtml(email, { message_id: 'm-1' }, { configuration, trapLink: true, linkMetadata: true })
    const decoded = getClickTrackingResult(result.trapLink!.trackingUrl, { configuration })
    expect(decoded.trackedUrl).toBe('https://shop.example.com/')
    expect(decoded.metadata).toEqual({ message_id: 'm-1', [TRAP_METADATA_KEY]: true })
    expect(result.trapLink!.url).toBe('https://shop.example.com/')
    // The trap is not one of the email's links.
    expect(result.links).toHaveLength(1)
  })

  it('takes the destination it is given, goes first in a fragment, and falls back to the tracking origin', () => {
    const given = adaptHtml(email, null, { configuration, trapLink: { url: 'https://www.example.com/welcome' } })
    expect(getClickTrackingResult(given.trapLink!.trackingUrl, { configuration }).trackedUrl).toBe('https://www.example.com/welcome')
    const fragment = adaptHtml('<p>No links</p>', null, { configuration, openTracking: false, trapLink: true })
    expect(fragment.html).toBe(`${fragment.trapLink!.html}<p>No links</p>`)
    expect(fragment.trapLink!.url).toBe('https://t.example.com/')
  })

  it('adds no second trap when the email is adapted again', () => {
    const once = adaptHtml(email, { message_id: 'm-1' }, { configuration, trapLink: true, openTracking: false })
    const twice = adaptHtml(once.html, { message_id: 'm-1' }, { configuration, trapLink: true, openTracking: false })
    expect(twice.html).toBe(once.html)
    expect(twice.trapLink).toBeNull()
  })

  it('refuses a bad value, and a trap without click tracking', () => {
    for (const trapLink of ['yes', { url: 'mailto:x@example.com' }, { url: 42 }, null]) {
      const error = thrownBy(() => adaptHtml(email, null, { configuration, trapLink } as never))
      expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_ARGUMENT'), String(trapLink)).toBe(true)
    }
    expect(() => adaptHtml(email, null, { configuration, trapLink: true, clickTracking: false })).toThrow(/needs clickTracking/)
  })
})
