import { ApiError } from '../errors/api-error'

/**
 * The most links one adapt request may hold. Each link is sealed with the link key on the event
 * loop the pixels and redirects share (about 25 µs a link in HTML, 9 µs in text, on the team's
 * busy 2-core machine), so a 1 MiB body of 110,000 URLs held every tracking route for most of a
 * second; 500 links add at most about 13 ms (HTML) or 5 ms (text). See bench/adapt-delay.ts.
 */
export const MAX_ADAPT_LINKS = 500

// Counted generously before any work: every href attribute, every http(s) URL.
const LINKISH = { html: /\bhref\s*=/gi, text: /https?:\/\//gi }

/** Refuses an adapt input with more than {@link MAX_ADAPT_LINKS} candidate links, before adapting it. */
export function checkAdaptSize(input: string, kind: 'html' | 'text'): void {
  let count = 0
  const pattern = new RegExp(LINKISH[kind])
  while (pattern.exec(input) !== null) {
    if (++count > MAX_ADAPT_LINKS) {
      throw new ApiError(
        `the ${kind === 'html' ? 'HTML' : 'text'} has more than ${MAX_ADAPT_LINKS} links, the most one adapt request takes; adapt it in parts`,
        { status: 400, reason: 'invalid_request' },
      )
    }
  }
}
