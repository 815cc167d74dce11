import { InvalidArgumentError, type Metadata } from '@pytrack/core'
import type { AdaptTextOptions, AdaptTextResult, SkippedLink, TrackedLink } from './types'
import { LinkTracker, booleanOption, noAttributes, optionsObject, resolveConfiguration } from './_internal/link-tracker'

/** A bare http(s) URL: up to white space, `<`, `>` or `"`; not glued to a preceding letter or digit. */
const BARE_URL = /(?<![A-Za-z0-9])https?:\/\/[^\s<>"]+/gi
/** Punctuation that ends a sentence rather than a URL. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"'])
const OPENER_TO_CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' }

/** Drops trailing punctuation, and closing brackets that have no opening one inside the URL. */
function urlLength(match: string): number {
  // Bracket balance counted once, so a long run of closers stays linear.
  const balance: Record<string, number> = { ')': 0, ']': 0, '}': 0 }
  for (let i = 0; i < match.length; i++) {
    const c = match[i]!
    if (c === '(' || c === '[' || c === '{') balance[OPENER_TO_CLOSER[c]!]!++
    else if (c === ')' || c === ']' || c === '}') balance[c]!--
  }
  let end = match.length
  while (end > 0) {
    const last = match[end - 1]!
    if (TRAILING.has(last)) {
      end--
    } else if (balance[last] !== undefined && balance[last] < 0) {
      balance[last]++
      end--
    } else {
      break
    }
  }
  return end
}

/**
 * Adds click tracking to the text/plain part of an email: every bare `http://` or `https://`
 * URL (any case) becomes its tracking URL, everything else is left as it was. Trailing
 * punctuation (`.`, `,`, `)` without its `(`...) stays outside the URL. The exclusions of
 * {@link adaptHtml} apply: merge tags, the domain lists, `shouldTrackLink`, links already tracked.
 *
 * @example
 * ```ts
 * const { text } = adaptText('Our sale: https://example.com/sale.', { customer_id: 1 }, { configuration })
 * // 'Our sale: https://t.example.com/c/eyJ1cmwiOi....'
 * ```
 */
export function adaptText(text: string, metadata?: Metadata | null, options?: AdaptTextOptions): AdaptTextResult {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`adaptText takes the text as a string, not ${text === null ? 'null' : typeof text}`)
  }
  const settings = optionsObject(options, 'adaptText')
  if (!booleanOption(settings, 'clickTracking', true)) return { text, links: [], skipped: [], warnings: [] }
  const tracker = new LinkTracker(metadata, settings, resolveConfiguration(settings))

  const links: TrackedLink[] = []
  const skipped: SkippedLink[] = []
  let output = ''
  let cursor = 0
  let index = 0
  for (const match of text.matchAll(BARE_URL)) {
    const start = match.index
    const end = start + urlLength(match[0])
    const url = text.slice(start, end)
    // Only punctuation after the scheme: not a URL.
    if (url.indexOf('//') + 2 >= url.length) continue
    const candidate = { url, tagName: null, id: null, index: index++, inConditionalComment: false, attributes: noAttributes }
    const reason = tracker.reasonToSkip(candidate)
    const trackingUrl = reason === null ? tracker.trackingUrl(candidate) : null
    if (trackingUrl === null) {
      skipped.push({ href: url, reason: reason ?? 'link-too-long', tagName: null, inConditionalComment: false, start, end })
      continue
    }
    links.push({ url, trackingUrl, index: candidate.index, id: null, tagName: null, inConditionalComment: false, start, end })
    output += text.slice(cursor, start) + trackingUrl
    cursor = end
  }
  return { text: links.length === 0 ? text : output + text.slice(cursor), links, skipped, warnings: tracker.warnings() }
}
