import type { Metadata, TrackingOptions } from '@pytrack/core'

/**
 * What the `shouldTrackLink` and `linkMetadata` callbacks learn about a link.
 *
 * @example
 * ```ts
 * const shouldTrackLink = (link: LinkContext) => link.attributes['class'] !== 'footer'
 * ```
 */
export interface LinkContext {
  /** The destination: the href with entities decoded once and surrounding white space trimmed. */
  readonly url: string
  /** Lower-cased tag name (`a`, `area`, `v:roundrect`), or null for a URL in plain text. */
  readonly tagName: string | null
  /** The element's `data-link-id`, or null. */
  readonly id: string | null
  /**
   * The link's position in the email, from 0: among `<a>`/`<area>` elements with an href (outside
   * conditional comments), or among the URLs of a text part. Null for a link inside a
   * conditional comment that has no HTML twin.
   */
  readonly index: number | null
  /** The element's attributes, names lower-cased, values entity-decoded. Empty for plain text. */
  readonly attributes: Readonly<Record<string, string>>
  /** The link sits inside an Outlook `<!--[if mso]> ... <![endif]-->` conditional comment. */
  readonly inConditionalComment: boolean
}

/**
 * Decides whether a link that passed the built-in rules is tracked.
 *
 * @example
 * ```ts
 * const shouldTrackLink: LinkPredicate = (link) => !link.url.includes('/unsubscribe')
 * ```
 */
export type LinkPredicate = (link: LinkContext) => boolean

/**
 * Returns metadata to seal into one link's tracking URL, on top of the email's metadata.
 *
 * @example
 * ```ts
 * const linkMetadata: LinkMetadataCallback = (link) => ({ link: link.id ?? link.index })
 * ```
 */
export type LinkMetadataCallback = (link: LinkContext) => Metadata | null | undefined

/**
 * Options of {@link adaptText}, shared by {@link adaptHtml}: core's {@link TrackingOptions}
 * (a `configuration` and/or field overrides) plus which links to track.
 *
 * @example
 * ```ts
 * const options: AdaptTextOptions = { configuration, denyDomains: ['unsubscribe.example.com'] }
 * ```
 */
export interface AdaptTextOptions extends TrackingOptions {
  /** Rewrite links for click tracking (pytracking's `click_tracking`). Default: true. */
  clickTracking?: boolean | undefined
  /** Only track links to these hosts or their subdomains (`example.com` matches `www.example.com`). */
  allowDomains?: readonly string[] | undefined
  /** Never track links to these hosts or their subdomains. Wins over `allowDomains`. */
  denyDomains?: readonly string[] | undefined
  /** Called for each link the built-in rules would track: return true to track it; anything else leaves it alone. */
  shouldTrackLink?: LinkPredicate | undefined
  /**
   * Per-link metadata. `true` adds `link_index` (the link's position) and `link_id` (its
   * `data-link-id`, when present); a function returns the metadata to add. Default: none, so
   * every link of the email carries the same metadata, as in pytracking.
   */
  linkMetadata?: boolean | LinkMetadataCallback | undefined
}

/**
 * Where the open tracking pixel goes: before `</body>` (`'bottom'`, pytracking's place), just
 * after `<body ...>` (`'top'`, loaded even when Gmail clips a long email), or in place of a
 * placeholder string of your template.
 *
 * @example
 * ```ts
 * const position: PixelPosition = { placeholder: '<!-- pytrack-pixel -->' }
 * ```
 */
export type PixelPosition =
  | 'bottom'
  | 'top'
  | {
      /** The text of your template the pixel replaces: its first occurrence outside rewritten links. */
      readonly placeholder: string
    }

/**
 * Options of {@link adaptHtml}: those of {@link adaptText}, plus the open tracking pixel.
 *
 * @example
 * ```ts
 * const options: AdaptHtmlOptions = { configuration, pixelPosition: 'top', linkMetadata: true }
 * ```
 */
export interface AdaptHtmlOptions extends AdaptTextOptions {
  /** Insert the open tracking pixel (pytracking's `open_tracking`). Default: true. */
  openTracking?: boolean | undefined
  /** Where the pixel goes. Default: `'bottom'`. */
  pixelPosition?: PixelPosition | undefined
  /** Warn when the output is larger than this many UTF-8 bytes. Default: 102 KiB, where Gmail clips. */
  clipWarningBytes?: number | undefined
  /**
   * Add a trap link right after `<body ...>`: a link no person can see or reach, which link
   * scanners follow like the others; a server that sees it clicked marks the email's clicks
   * around it as machine clicks. See {@link TrapLinkOption}. Default: false.
   */
  trapLink?: TrapLinkOption | undefined
}

/**
 * The trap link of {@link AdaptHtmlOptions.trapLink}: `true` (its click redirects to the origin
 * of the email's first tracked link, such as `https://shop.example.com/`), `false`, or the URL
 * it redirects to.
 *
 * @example
 * ```ts
 * adaptHtml(template, { message_id: 'm-1' }, { configuration, trapLink: { url: 'https://www.example.com/' } })
 * ```
 */
export type TrapLinkOption =
  | boolean
  | {
      /** Where a click on the trap redirects: an absolute http(s) URL. */
      readonly url: string
    }

/**
 * The trap link that was inserted.
 *
 * @example
 * ```ts
 * result.trapLink?.trackingUrl // the trap's click tracking URL
 * ```
 */
export interface TrapLinkInsertion {
  /** Where a click on it redirects. */
  url: string
  /** Its click tracking URL: the email's metadata plus `pytrack_trap: true`. */
  trackingUrl: string
  /** The `<a>` tag inserted. */
  html: string
  /** Where it was inserted in the input (an empty range: `start === end`). */
  start: number
  /** Equal to `start`. */
  end: number
}

/**
 * A link that was rewritten.
 *
 * @example
 * ```ts
 * for (const link of result.links) console.log(link.index, link.url, '->', link.trackingUrl)
 * ```
 */
export interface TrackedLink {
  /** The original destination, entity-decoded and trimmed: what a click redirects to. */
  url: string
  /** The click tracking URL now in the href (before attribute escaping). */
  trackingUrl: string
  /** See {@link LinkContext.index}. A conditional-comment link shares its HTML twin's. */
  index: number | null
  /** The element's `data-link-id`, or null. */
  id: string | null
  /** Lower-cased tag name, or null for plain text. */
  tagName: string | null
  /** The link sits inside an Outlook conditional comment. */
  inConditionalComment: boolean
  /** Where the replaced href value (quotes excluded) or text URL was in the input: `input.slice(start, end)`. */
  start: number
  /** Where the range ends (exclusive); see `start`. */
  end: number
}

/**
 * Why a link was left as it was.
 * - `no-href`: an `<a>` or `<area>` without href.
 * - `opt-out`: the link carries a sender's opt-out (`data-notrack`, `clicktracking="off"`,
 *   `data-msys-clicktrack="0"`, Postal's `https+notrack://`...; the README lists them all).
 * - `empty`: the href is empty or white space.
 * - `placeholder`: a merge tag such as `{{ url }}` or `*|UNSUB|*`; track after personalising.
 * - `not-http`: `mailto:`, `tel:`, `sms:`, `#anchor`, `javascript:`, `data:`, a relative path...
 * - `invalid-url`: written as http(s) but malformed or read differently by a browser than by the
 *   redirect (`https:/host`, `https://host\\path`, a control character; see `parseClickDestination`
 *   in `@pytrack/core`); a warning says so too.
 * - `already-tracked`: it already starts with the click tracking base URL.
 * - `domain`: refused by `allowDomains`/`denyDomains`.
 * - `predicate`: `shouldTrackLink` returned false.
 * - `link-too-long`: the tracking URL would exceed `maxLinkLength` (a warning says so too).
 *
 * @example
 * ```ts
 * const placeholders = result.skipped.filter((link) => link.reason === ('placeholder' satisfies SkipReason))
 * ```
 */
export type SkipReason =
  | 'no-href'
  | 'opt-out'
  | 'empty'
  | 'placeholder'
  | 'not-http'
  | 'invalid-url'
  | 'already-tracked'
  | 'domain'
  | 'predicate'
  | 'link-too-long'

/**
 * A link that was left untouched, and why.
 *
 * @example
 * ```ts
 * for (const { href, reason } of result.skipped) console.log(reason, href)
 * ```
 */
export interface SkippedLink {
  /** The href with entities decoded (not trimmed), or null when there is none. */
  href: string | null
  /** Why it was left alone. */
  reason: SkipReason
  /** Lower-cased tag name, or null for plain text. */
  tagName: string | null
  /** The link sits inside an Outlook conditional comment. */
  inConditionalComment: boolean
  /** Where the href value (or text URL) is in the input; for an element without href, both are the offset of its `<`. */
  start: number
  /** Where the range ends (exclusive); see `start`. */
  end: number
}

/**
 * The kind of a {@link AdaptWarning}.
 *
 * @example
 * ```ts
 * if (result.warnings.some((w) => w.code === ('gmail-clipping' satisfies AdaptWarningCode))) movePixelUp()
 * ```
 */
export type AdaptWarningCode =
  | 'gmail-clipping'
  | 'no-body'
  | 'pixel-placeholder-missing'
  | 'pixel-placeholder-repeated'
  | 'invalid-url'
  | 'link-too-long'

/**
 * Something the caller should know about, returned instead of printed.
 *
 * @example
 * ```ts
 * for (const warning of result.warnings) logger.warn(warning.code, warning.message)
 * ```
 */
export interface AdaptWarning {
  /** What kind of warning it is, for code to test. */
  code: AdaptWarningCode
  /** What happened and what to do about it, for people. */
  message: string
}

/**
 * The open tracking pixel that was inserted.
 *
 * @example
 * ```ts
 * result.pixel?.url // the open tracking URL, e.g. to log it
 * ```
 */
export interface PixelInsertion {
  /** The open tracking URL. */
  url: string
  /** The `<img>` tag inserted. */
  html: string
  /** The input range it took the place of: empty (`start === end`) unless it replaced a placeholder. */
  start: number
  /** Where the range ends (exclusive); see `start`. */
  end: number
}

/**
 * What {@link adaptHtml} returns.
 *
 * @example
 * ```ts
 * const { html, links, pixel, warnings } = adaptHtml(template, { customer_id: 1 }, { configuration })
 * ```
 */
export interface AdaptHtmlResult {
  /** The input with tracked hrefs replaced and the pixel inserted; every other byte as it was. */
  html: string
  /** Rewritten links, in document order. */
  links: TrackedLink[]
  /** Links left alone, in document order, with the reason. */
  skipped: SkippedLink[]
  /** The inserted pixel, or null when open tracking is off. */
  pixel: PixelInsertion | null
  /** The inserted trap link, or null when `trapLink` is off (or the email already had one). */
  trapLink: TrapLinkInsertion | null
  /** Things to know about (Gmail clipping, no `<body>`, links too long...); empty when none. */
  warnings: AdaptWarning[]
}

/**
 * What {@link adaptText} returns.
 *
 * @example
 * ```ts
 * const { text, links } = adaptText(plainPart, { customer_id: 1 }, { configuration })
 * ```
 */
export interface AdaptTextResult {
  /** The input with tracked URLs replaced; every other character as it was. */
  text: string
  /** Rewritten URLs, in order. */
  links: TrackedLink[]
  /** URLs left alone, in order, with the reason. */
  skipped: SkippedLink[]
  /** Things to know about (such as links too long); empty when none. */
  warnings: AdaptWarning[]
}
