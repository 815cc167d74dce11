import { InvalidArgumentError, describeValue, isDoNotTrack, resolveConfiguration, type Metadata } from '@pytrack/core'
import type { AdaptTextOptions, AdaptTextResult, SkippedLink, TrackedLink } from './types'
import {
  LinkTracker,
  booleanOption,
  noAttributes,
  optionsObject,
  type Candidate,
} from './_internal/link-tracker'
import { textSuffixAt, withoutNotrack } from './_internal/opt-outs'
import { applySplices, type Splice } from './_internal/splices'

/**
 * A bare http(s) URL (or Postal's `https+notrack://`): up to white space, `<`, `>` or `"`; not
 * glued to a preceding letter or digit.
 */
const BARE_URL = /(?<![A-Za-z0-9])https?(\+notrack)?:\/\/[^\s<>"]+/gi
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
 * The opt-outs senders define for text are honoured, and their markers taken out as those
 * senders do: SparkPost's `URL[[data-msys-clicktrack="0"]]` becomes `URL`, Postal's
 * `https+notrack://...` becomes `https://...`; both untracked.
 *
 * @example
 * ```ts
 * const { text } = adaptText('Our sale: https://example.com/sale.', { customer_id: 1 }, { configuration })
 * // 'Our sale: https://t.example.com/c/eyJ1cmwiOi....'
 * ```
 */
export function adaptText(text: string, metadata?: Metadata | null, options?: AdaptTextOptions): AdaptTextResult {
  const settings = textSettings(text, options, 'adaptText')
  if (!booleanOption(settings, 'clickTracking', true) || isDoNotTrack(metadata)) return { text, links: [], skipped: [], warnings: [] }
  const tracker = new LinkTracker(metadata, settings, resolveConfiguration(settings))
  const { links, skipped, splices } = planText(text, tracker, (candidate) => tracker.trackingUrl(candidate))
  const output = applySplices(text, splices, (splice) => links[splice.link]!.trackingUrl)
  return { text: output, links, skipped, warnings: tracker.warnings() }
}

export function textSettings(text: unknown, options: AdaptTextOptions | undefined, fn: string): AdaptTextOptions {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`${fn} takes the text as a string, not ${describeValue(text)}`)
  }
  return optionsObject(options, fn)
}

/**
 * The URLs of a text part, tracked (their `trackingUrl` is what `track` gave) or skipped, in
 * order, and the changes to make: tracked URLs, and opt-out markers taken out.
 */
export function planText(
  text: string,
  tracker: LinkTracker,
  track: (candidate: Candidate) => string | null,
): { links: TrackedLink[]; skipped: SkippedLink[]; splices: Splice[] } {
  const links: TrackedLink[] = []
  const skipped: SkippedLink[] = []
  const splices: Splice[] = []
  let index = 0
  for (const match of text.matchAll(BARE_URL)) {
    const start = match.index
    // SparkPost's marker right after the URL (`URL[[data-msys-clicktrack="0"]]`) ends it.
    const bracket = match[0].indexOf('[[')
    const marker = bracket === -1 ? 0 : textSuffixAt(text, start + bracket)
    const end = marker > 0 ? start + bracket : start + urlLength(match[0])
    const url = text.slice(start, end)
    // Only punctuation after the scheme: not a URL.
    if (url.indexOf('//') + 2 >= url.length) continue
    if (marker > 0 || match[1] !== undefined) {
      // Opted out. The marker, or the `+notrack` that no mail client can follow, is taken out
      // as the sender's own service would: the reader gets the plain URL.
      skipped.push({ href: url, reason: 'opt-out', tagName: null, inConditionalComment: false, start, end })
      const plain = match[1] === undefined ? url : withoutNotrack(url)
      splices.push({ start, end: end + marker, text: plain, link: -1, unquoted: false })
      index++
      continue
    }
    const candidate = { url, tagName: null, id: null, index: index++, inConditionalComment: false, attributes: noAttributes }
    const reason = tracker.reasonToSkip(candidate)
    const trackingUrl = reason === null ? track(candidate) : null
    if (trackingUrl === null) {
      skipped.push({ href: url, reason: reason ?? 'link-too-long', tagName: null, inConditionalComment: false, start, end })
      continue
    }
    splices.push({ start, end, text: null, link: links.length, unquoted: false })
    links.push({ url, trackingUrl, index: candidate.index, id: null, tagName: null, inConditionalComment: false, start, end })
  }
  return { links, skipped, splices }
}
