import { InvalidArgumentError } from './errors/invalid-argument-error'
import { InvalidDestinationError, type InvalidDestinationReason } from './errors/invalid-destination-error'
import { describeValue } from './option-rules'

/**
 * A click destination as the tracking handler redirects to it.
 *
 * @example
 * ```ts
 * const { location, url }: ClickDestination = parseClickDestination('https://例え.jp/パス')
 * ```
 */
export interface ClickDestination {
  /** The `Location` header value: Django's `iri_to_uri` of the destination, `//host` made `https://host`. */
  readonly location: string
  /** `location` parsed (a fresh object each call: yours to keep or change). */
  readonly url: URL
}

const HTTP_PREFIX = /^https?:\/\//i
const HTTP_SCHEME = /^https?:/i
// C0 controls and DEL: the URL parser drops tabs and line breaks (and trims the rest at the
// ends), so a browser would open another URL than the one sealed into the link.
const CONTROL = /[\u0000-\u001f\u007f]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
// Django's iri_to_uri: quote(iri, safe="/#%[]=:;$&()+,!?*@'~") over UTF-8. Everything else,
// including spaces, quotes, CR and LF, is percent-encoded, so a header can never be split.
const SAFE = /^[A-Za-z0-9_.\-~/#%[\]=:;$&()+,!?*@']*$/
const UNSAFE_CHAR = /[^A-Za-z0-9_.\-~/#%[\]=:;$&()+,!?*@']/gu

function refuse(reason: InvalidDestinationReason, why: string): never {
  throw new InvalidDestinationError(`the click destination ${why}`, { reason })
}

/**
 * Decides what a click destination is, the one rule used when a link is made
 * (`getClickTrackingUrl`, the server's API), when it is served (the `@pytrack/http` handler) and
 * when HTML or text is adapted. Accepted: an absolute `http://` or `https://` URL (any case) or a
 * protocol-relative `//host/path` (which pytracking tracks; it is served as `https:`), that a
 * browser and the redirect read the same way. Refused with {@link InvalidDestinationError}:
 * other schemes and relative URLs (`not-http`); `https:/host`, `https:host` and `https:///host`,
 * a backslash before the query (a browser reads it as `/`: `https://e.com\x` opens
 * `https://e.com/x`), control characters (tab, CR, LF), a final space, a lone surrogate, and
 * anything without a valid host (`invalid-url`). The message never repeats the URL.
 *
 * @example
 * ```ts
 * parseClickDestination('//cdn.example.net/a b').location // 'https://cdn.example.net/a%20b'
 * parseClickDestination('https://e.com\\x') // throws InvalidDestinationError (reason 'invalid-url')
 * ```
 */
export function parseClickDestination(destination: string): ClickDestination {
  if (typeof destination !== 'string') {
    throw new InvalidArgumentError(`the click destination must be a string, not ${describeValue(destination)}`)
  }
  const protocolRelative = destination.startsWith('//')
  if (!protocolRelative && !HTTP_PREFIX.test(destination)) {
    if (HTTP_SCHEME.test(destination)) {
      refuse('invalid-url', 'must have two slashes after its scheme, such as https://example.com/sale')
    }
    refuse('not-http', 'is not an absolute http(s) URL such as https://example.com/sale (or //example.com/sale)')
  }
  const host = protocolRelative ? 2 : destination.indexOf('/') + 2
  const first = destination.charCodeAt(host)
  if (first === 0x2f || first === 0x5c) refuse('invalid-url', 'has more than two slashes before its host')
  if (CONTROL.test(destination)) {
    refuse('invalid-url', 'must not contain control characters (tab, CR, LF and the like), which browsers drop')
  }
  if (destination.charCodeAt(destination.length - 1) === 0x20) refuse('invalid-url', 'must not end with a space, which browsers drop')
  let pathEnd = destination.length
  const query = destination.indexOf('?')
  if (query !== -1) pathEnd = query
  const fragment = destination.indexOf('#')
  if (fragment !== -1 && fragment < pathEnd) pathEnd = fragment
  const backslash = destination.indexOf('\\')
  if (backslash !== -1 && backslash < pathEnd) {
    refuse('invalid-url', 'must not have a backslash before its query: a browser reads it as "/" (write "/" or %5C)')
  }
  if (LONE_SURROGATE.test(destination)) refuse('invalid-url', 'is not valid Unicode text (it holds a lone surrogate)')
  const encoded = SAFE.test(destination) ? destination : destination.replace(UNSAFE_CHAR, encodeURIComponent)
  const location = protocolRelative ? `https:${encoded}` : encoded
  let url: URL
  try {
    url = new URL(location)
  } catch {
    refuse('invalid-url', 'is not a valid URL (check its host and port)')
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    refuse('invalid-url', 'is not a valid http(s) URL with a host')
  }
  // Encoding must not move the destination to another host (with the checks above it cannot;
  // this holds the line should one of them be loosened).
  if (encoded !== destination) {
    let written: URL | undefined
    try {
      written = new URL(protocolRelative ? `https:${destination}` : destination)
    } catch {
      written = undefined
    }
    if (written === undefined || written.host !== url.host) {
      refuse('invalid-url', 'names a different host once encoded for the Location header')
    }
  }
  return { location, url }
}

const CACHE_SIZE = 2048
const accepted = new Set<string>()

/**
 * {@link parseClickDestination} for code that only needs the answer: a campaign's links share a
 * few destinations, so accepted ones are remembered (a bounded set, emptied when full).
 */
export function checkClickDestination(destination: string): void {
  if (accepted.has(destination)) return
  parseClickDestination(destination)
  if (accepted.size >= CACHE_SIZE) accepted.clear()
  accepted.add(destination)
}
