import { InvalidArgumentError, describeValue, getOpenTrackingUrl, isDoNotTrack, resolveConfiguration, type Configuration, type Metadata } from '@pytrack/core'
import type {
  AdaptHtmlOptions,
  AdaptHtmlResult,
  AdaptWarning,
  PixelInsertion,
  SkipReason,
  TrapLinkInsertion,
  SkippedLink,
  TrackedLink,
} from './types'
import { decodeAttribute, escapeAttributeValue, hrefToUrl } from './_internal/link-rules'
import {
  LinkTracker,
  booleanOption,
  optionsObject,
  type Candidate,
} from './_internal/link-tracker'
import { findLinks, type FoundElement } from './_internal/find-links'
import { hasNotrackScheme, hasOptOutAttribute, withoutNotrack } from './_internal/opt-outs'
import { applySplices, type Splice } from './_internal/splices'
import { exceedsUtf8Bytes } from './_internal/utf8'
import { TRAP_ATTRIBUTE, originOf, trapLinkOption, trapLinkTag, trapTrackingUrl } from './trap-link'

/** Where Gmail clips a message ("[Message clipped]"): about 102 KB of HTML. */
const GMAIL_CLIP_BYTES = 102 * 1024

function attributesOf(element: FoundElement): () => Readonly<Record<string, string>> {
  return () => {
    const record: Record<string, string> = {}
    for (const [name, raw] of element.rawAttributes) record[name] = decodeAttribute(raw)
    return Object.freeze(record)
  }
}

/** The `<img>` of the open pixel: 1x1, no border, never `display:none` (clients would skip loading it). */
export function pixelTag(url: string): string {
  return `<img src="${escapeAttributeValue(url)}" width="1" height="1" alt="" border="0" style="height:1px;width:1px;border:0;margin:0;padding:0;" />`
}

type Decision =
  | { link: TrackedLink; reason: null }
  | { link: null; reason: SkipReason; href: string | null }

function pixelPositionOf(options: AdaptHtmlOptions): 'bottom' | 'top' | string {
  const position = options.pixelPosition
  if (position === undefined || position === 'bottom' || position === 'top') return position ?? 'bottom'
  if (typeof position === 'object' && position !== null && typeof position.placeholder === 'string' && position.placeholder !== '') {
    return position.placeholder
  }
  throw new InvalidArgumentError(
    "options.pixelPosition must be 'bottom', 'top' or { placeholder: '<!-- pixel -->' } with a non-empty placeholder string",
  )
}

/**
 * Adds click and open tracking to an HTML email, as pytracking's `adapt_html` does, without
 * re-serialising it: the output is the input with the href values of tracked links replaced
 * and the open pixel inserted, every other byte unchanged (doctype, case, quotes, entities,
 * white space, Outlook conditional comments).
 *
 * Tracked: `<a>` and `<area>` hrefs starting with `http:`, `https:` (any case) or `//`, entities
 * decoded once, white space trimmed; VML buttons (`<v:roundrect href>`) inside `<!--[if mso]>`
 * comments get the same tracking URL as their HTML twin. Left alone: other schemes, anchors,
 * merge tags (`{{ }}`, `*|...|*`, ...), links opted out the way senders write it (`data-notrack`,
 * SendGrid's `clicktracking="off"`, SparkPost's `data-msys-clicktrack="0"`, Postal's
 * `https+notrack://`, which is written out as `https://`, and the rest of the README's table),
 * and what the domain lists or `shouldTrackLink` refuse.
 * The pixel goes before `</body>` unless `pixelPosition` says otherwise, at the end without a body.
 * A message whose metadata says its recipient must not be tracked (`track: false`, see
 * `isDoNotTrack` in @pytrack/core) is left as it is: no link rewritten, no pixel.
 *
 * Throws `InvalidArgumentError` for a non-string `html` or bad options, `ConfigurationError` when
 * a base tracking URL is missing, `MetadataError` for metadata JSON cannot carry. Malformed HTML
 * never throws; time is linear in its size.
 *
 * @example
 * ```ts
 * import { Configuration } from '@pytrack/core'
 * import { adaptHtml } from '@pytrack/html'
 *
 * const configuration = new Configuration({
 *   baseOpenTrackingUrl: 'https://t.example.com/o/',
 *   baseClickTrackingUrl: 'https://t.example.com/c/',
 * })
 * const { html, links, warnings } = adaptHtml(template, { customer_id: 1 }, { configuration })
 * ```
 */
export function adaptHtml(html: string, metadata?: Metadata | null, options?: AdaptHtmlOptions): AdaptHtmlResult {
  const checked = htmlSettings(html, options, 'adaptHtml')
  // A recipient who must not be tracked (`track: false`): the message stays as it is.
  const settings = isDoNotTrack(metadata) ? { ...checked, clickTracking: false, openTracking: false, trap: null } : checked
  const tracker = settings.clickTracking ? new LinkTracker(metadata, settings.options, settings.configuration) : null
  // Open tracking first: it validates the metadata and the open base URL before any work.
  const pixelUrl = settings.openTracking ? getOpenTrackingUrl(metadata, { configuration: settings.configuration }) : null
  const plan = planHtml(html, settings, tracker, (candidate) => tracker!.trackingUrl(candidate))

  const warnings: AdaptWarning[] = tracker?.warnings() ?? []
  warnings.push(...plan.warnings)
  const pixel: PixelInsertion | null =
    pixelUrl === null ? null : { url: pixelUrl, html: pixelTag(pixelUrl), start: plan.pixelRange!.start, end: plan.pixelRange!.end }
  let trapLink: TrapLinkInsertion | null = null
  if (plan.trap !== null) {
    const { url, at } = plan.trap
    const trackingUrl = trapTrackingUrl(url, metadata, settings.configuration)
    trapLink = { url, trackingUrl, html: trapLinkTag(trackingUrl), start: at, end: at }
  }
  const links = plan.links
  const output = applySplices(html, plan.splices, (splice) =>
    splice.link === PIXEL ? pixel!.html : splice.link === TRAP ? trapLink!.html : hrefText(links[splice.link]!.trackingUrl, splice.unquoted),
  )
  if (exceedsUtf8Bytes(output, settings.clipBytes)) warnings.push(clipWarning(settings, pixel !== null))
  return { html: output, links, skipped: plan.skipped, pixel, trapLink, warnings }
}

/** Splice.link of the open pixel and of the trap link. */
export const PIXEL = -1
export const TRAP = -2

/** What adaptHtml and compileHtml read from their options, checked once. */
export interface HtmlSettings {
  options: AdaptHtmlOptions
  clickTracking: boolean
  openTracking: boolean
  /** `'bottom'`, `'top'` or the placeholder text. */
  position: string
  clipBytes: number
  /** The trap link's destination (null: the first tracked link's origin), or null without one. */
  trap: { url: string | null } | null
  configuration: Configuration
}

export function htmlSettings(html: unknown, options: AdaptHtmlOptions | undefined, fn: string): HtmlSettings {
  if (typeof html !== 'string') {
    throw new InvalidArgumentError(`${fn} takes the HTML as a string, not ${describeValue(html)}; decode a Buffer with .toString('utf8') first`)
  }
  const settings = optionsObject(options, fn)
  const clickTracking = booleanOption(settings, 'clickTracking', true)
  const openTracking = booleanOption(settings, 'openTracking', true)
  const position = pixelPositionOf(settings)
  const clipBytes = settings.clipWarningBytes ?? GMAIL_CLIP_BYTES
  if (typeof clipBytes !== 'number' || !(clipBytes >= 0)) {
    throw new InvalidArgumentError('options.clipWarningBytes must be a number of bytes (at least 0)')
  }
  const trap = trapLinkOption(settings.trapLink, clickTracking)
  return { options: settings, clickTracking, openTracking, position, clipBytes, trap, configuration: resolveConfiguration(settings) }
}

/** The Gmail clipping warning, for an output over `settings.clipBytes`. */
export function clipWarning(settings: HtmlSettings, hasPixel: boolean): AdaptWarning {
  return {
    code: 'gmail-clipping',
    message: `the HTML is over ${settings.clipBytes} bytes: Gmail clips it, so links past the cut are hidden${hasPixel && settings.position !== 'top' ? " and a bottom pixel never loads (use pixelPosition: 'top')" : ''}`,
  }
}

/** A tracking URL as it goes into an href: escaped, and quoted where the original value was not. */
export function hrefText(trackingUrl: string, unquoted: boolean): string {
  const value = escapeAttributeValue(trackingUrl)
  return unquoted ? `"${value}"` : value
}

/**
 * Everything adaptHtml decides about an HTML email but the links' tokens: which links are
 * tracked (their `trackingUrl` is what `track` gave), which are not and why, where the pixel
 * goes, and the changes to make, in order (tracked hrefs, opt-out markers taken out, the pixel).
 */
export interface HtmlPlan {
  links: TrackedLink[]
  skipped: SkippedLink[]
  splices: Splice[]
  /** The input range the pixel takes the place of, or null without open tracking. */
  pixelRange: { start: number; end: number } | null
  /** The trap link's destination and place, or null without one. */
  trap: { url: string; at: number } | null
  /** About the pixel's place (placeholder missing or repeated, no body). */
  warnings: AdaptWarning[]
}

export function planHtml(
  html: string,
  settings: HtmlSettings,
  tracker: LinkTracker | null,
  track: (candidate: Candidate) => string | null,
): HtmlPlan {
  const { clickTracking, openTracking, position } = settings
  const needsTokens = clickTracking || (openTracking && (position === 'bottom' || position === 'top'))
  const found = needsTokens ? findLinks(html, clickTracking) : null
  const elements = found?.elements ?? []

  const decisions: (Decision | undefined)[] = new Array<Decision | undefined>(elements.length)
  if (tracker !== null) decideLinks(html, elements, tracker, track, decisions)

  const links: TrackedLink[] = []
  const skipped: SkippedLink[] = []
  const splices: Splice[] = []
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i]!
    const decision = decisions[i]!
    if (decision.link !== null) {
      splices.push({ start: element.hrefStart, end: element.hrefEnd, text: null, link: links.length, unquoted: element.hrefUnquoted })
      links.push(decision.link)
    } else {
      if (decision.reason === 'opt-out' && decision.href !== null && hasNotrackScheme(hrefToUrl(decision.href))) {
        const text = notrackWrittenOut(html, element, decision.href)
        splices.push({ start: element.hrefStart, end: element.hrefEnd, text, link: -1, unquoted: false })
      }
      skipped.push({
        href: decision.href,
        reason: decision.reason,
        tagName: element.tagName,
        inConditionalComment: element.inConditionalComment,
        start: element.hrefStart,
        end: element.hrefEnd,
      })
    }
  }

  let trap: HtmlPlan['trap'] = null
  if (settings.trap !== null && !elements.some((element) => element.rawAttributes.has(TRAP_ATTRIBUTE))) {
    const url = settings.trap.url ?? originOf(links[0]?.url ?? '') ?? originOf(settings.configuration.baseClickTrackingUrl ?? '')!
    // Right after <body ...>, before any other link: scanners that stop after some links still reach it.
    const at = found?.bodyOpenEnd !== undefined && found.bodyOpenEnd !== -1 ? found.bodyOpenEnd : 0
    trap = { url, at }
    insertSorted(splices, { start: at, end: at, text: null, link: TRAP, unquoted: false })
  }

  const warnings: AdaptWarning[] = []
  let pixelRange: HtmlPlan['pixelRange'] = null
  if (openTracking) {
    let start = -1
    let end = -1
    if (position !== 'bottom' && position !== 'top') {
      start = findPlaceholder(html, position, splices)
      if (start === -1) {
        warnings.push({
          code: 'pixel-placeholder-missing',
          message: 'the pixel placeholder is not in the HTML (outside rewritten links); the pixel went before </body> instead',
        })
      } else {
        end = start + position.length
        if (findPlaceholder(html, position, splices, end) !== -1) {
          warnings.push({
            code: 'pixel-placeholder-repeated',
            message: 'the pixel placeholder appears more than once; only the first was replaced by the pixel',
          })
        }
      }
    }
    if (start === -1) {
      const body = position === 'top' ? (found?.bodyOpenEnd ?? -1) : -1
      start = end = body !== -1 ? body : (found ?? findLinks(html, false)).bodyCloseStart
      if (start === -1) {
        start = end = html.length
        warnings.push({
          code: 'no-body',
          message: 'the HTML has no <body>, so the pixel was appended at the end',
        })
      }
    }
    pixelRange = { start, end }
    insertSorted(splices, { start, end, text: null, link: PIXEL, unquoted: false })
  }
  return { links, skipped, splices, pixelRange, trap, warnings }
}

function decideLinks(
  html: string,
  elements: readonly FoundElement[],
  tracker: LinkTracker,
  track: (candidate: Candidate) => string | null,
  decisions: (Decision | undefined)[],
): void {
  // HTML links first (in order, numbered), then conditional-comment links, which follow their twin.
  const byUrl = new Map<string, number[]>()
  let index = 0
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i]!
    if (element.inConditionalComment) continue
    if (!element.hasHref) {
      decisions[i] = { link: null, reason: 'no-href', href: null }
      continue
    }
    const href = decodeAttribute(html.slice(element.hrefStart, element.hrefEnd))
    const url = hrefToUrl(href)
    const candidate = candidateOf(element, url, index++)
    decisions[i] = decide(tracker, track, element, candidate, href)
    const twins = byUrl.get(url)
    if (twins === undefined) byUrl.set(url, [i])
    else twins.push(i)
  }
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i]!
    if (!element.inConditionalComment) continue
    const href = decodeAttribute(html.slice(element.hrefStart, element.hrefEnd))
    const url = hrefToUrl(href)
    const twins = byUrl.get(url)
    const twin = twins === undefined ? undefined : decisions[nearest(twins, i)]
    if (twin === undefined) {
      decisions[i] = decide(tracker, track, element, candidateOf(element, url, null), href)
    } else if (twin.link !== null) {
      decisions[i] = {
        link: { ...twin.link, tagName: element.tagName, inConditionalComment: true, start: element.hrefStart, end: element.hrefEnd },
        reason: null,
      }
    } else {
      decisions[i] = { link: null, reason: twin.reason, href }
    }
  }
}

/** The twin after the element (a VML button precedes its HTML fallback), else the last before. */
function nearest(sorted: readonly number[], position: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle]! < position) low = middle + 1
    else high = middle
  }
  return sorted[low < sorted.length ? low : sorted.length - 1]!
}

function candidateOf(element: FoundElement, url: string, index: number | null): Candidate {
  const id = element.rawAttributes.get('data-link-id')
  return {
    url,
    tagName: element.tagName,
    id: id === undefined ? null : decodeAttribute(id),
    index,
    inConditionalComment: element.inConditionalComment,
    attributes: attributesOf(element),
  }
}

function decide(
  tracker: LinkTracker,
  track: (candidate: Candidate) => string | null,
  element: FoundElement,
  candidate: Candidate,
  href: string,
): Decision {
  const reason = hasOptOutAttribute(element.rawAttributes) || hasNotrackScheme(candidate.url) ? 'opt-out' : tracker.reasonToSkip(candidate)
  if (reason !== null) return { link: null, reason, href }
  const trackingUrl = track(candidate)
  if (trackingUrl === null) return { link: null, reason: 'link-too-long', href }
  return {
    link: {
      url: candidate.url,
      trackingUrl,
      index: candidate.index,
      id: candidate.id,
      tagName: element.tagName,
      inConditionalComment: element.inConditionalComment,
      start: element.hrefStart,
      end: element.hrefEnd,
    },
    reason: null,
  }
}

/**
 * Postal's `https+notrack://` written out as `https://` (a mail client cannot follow the other):
 * the raw value with `+notrack` cut out, so entities and quotes stay as written.
 */
function notrackWrittenOut(html: string, element: FoundElement, href: string): string {
  const raw = html.slice(element.hrefStart, element.hrefEnd)
  const cut = /^([\t\n\f\r ]*https?)\+notrack:/i.exec(raw)
  if (cut !== null) return cut[1] + raw.slice(cut[0].length - 1)
  // The scheme itself was written with character references: write the whole URL afresh.
  const value = escapeAttributeValue(withoutNotrack(hrefToUrl(href)))
  return element.hrefUnquoted ? `"${value}"` : value
}

/** The first occurrence of the placeholder at or after `from` that is not inside a rewritten href. */
function findPlaceholder(html: string, placeholder: string, splices: readonly Splice[], from = 0): number {
  let at = html.indexOf(placeholder, from)
  let s = 0
  while (at !== -1) {
    while (s < splices.length && splices[s]!.end <= at) s++
    const splice = splices[s]
    if (splice === undefined || splice.start >= at + placeholder.length) return at
    at = html.indexOf(placeholder, splice.end)
  }
  return -1
}

function insertSorted(splices: Splice[], splice: Splice): void {
  let i = splices.length
  while (i > 0 && splices[i - 1]!.start > splice.start) i--
  splices.splice(i, 0, splice)
}
