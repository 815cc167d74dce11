import { InvalidArgumentError, getClickTrackingUrl, parseClickDestination, type Configuration, type Metadata } from '@pytrack/core'
import type { TrapLinkOption } from './types'
import { escapeAttributeValue } from './_internal/link-rules'

/**
 * The metadata key that marks a trap link (`adaptHtml`'s `trapLink` option): `pytrack_trap: true`
 * is sealed into the trap on top of the email's metadata, so a server reading the click knows it
 * came from a link no person can see or reach.
 *
 * @example
 * ```ts
 * import { TRAP_METADATA_KEY } from '@pytrack/html'
 *
 * const isTrapClick = result.metadata[TRAP_METADATA_KEY] === true // result: a decoded click
 * ```
 */
export const TRAP_METADATA_KEY = 'pytrack_trap'

/** The attribute that marks the trap in the output, so adapting an email twice adds one trap only. */
export const TRAP_ATTRIBUTE = 'data-pytrack-trap'

/** The destination of the trap link: the given URL, or null to use the email's first tracked link's origin. */
export function trapLinkOption(value: TrapLinkOption | undefined, clickTracking: boolean): { url: string | null } | null {
  if (value === undefined || value === false) return null
  if (!clickTracking) {
    throw new InvalidArgumentError('options.trapLink needs clickTracking: the trap is a click link; leave clickTracking on or drop trapLink')
  }
  if (value === true) return { url: null }
  const url = typeof value === 'object' && value !== null ? (value as { url?: unknown }).url : undefined
  try {
    if (typeof url !== 'string') throw new TypeError('not a string')
    parseClickDestination(url)
  } catch (error) {
    throw new InvalidArgumentError("options.trapLink must be true, false or { url: 'https://www.example.com/' } with an absolute http(s) URL", { cause: error })
  }
  return { url }
}

/** The origin of a URL with a slash (`https://shop.example.com/`), or null. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url.startsWith('//') ? `https:${url}` : url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? `${parsed.origin}/` : null
  } catch {
    return null
  }
}

/** The trap's click tracking URL: the email's metadata plus {@link TRAP_METADATA_KEY}. */
export function trapTrackingUrl(destination: string, metadata: Metadata | null | undefined, configuration: Configuration): string {
  return getClickTrackingUrl(destination, { ...metadata, [TRAP_METADATA_KEY]: true }, { configuration })
}

/**
 * The trap: an empty link (no text, no image, so there is nothing to see or click even where
 * `style` is stripped), out of the accessibility tree (`aria-hidden`) and of the tab order
 * (`tabindex="-1"`, which axe's aria-hidden-focus rule asks of aria-hidden elements), and
 * `display:none` for clients that keep styles. Scanners that follow every href follow it.
 */
export function trapLinkTag(trackingUrl: string): string {
  return `<a href="${escapeAttributeValue(trackingUrl)}" ${TRAP_ATTRIBUTE}="" aria-hidden="true" tabindex="-1" style="display:none"></a>`
}
