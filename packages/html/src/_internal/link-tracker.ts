import {
  ConfigurationError,
  InvalidArgumentError,
  describeValue,
  getClickTrackingUrl,
  isPytrackError,
  parseClickDestination,
  type Configuration,
  type Metadata,
} from '@pytrack/core'
import type {
  AdaptTextOptions,
  AdaptWarning,
  LinkContext,
  LinkMetadataCallback,
  LinkPredicate,
  SkipReason,
} from '../types'
import { hasPlaceholder, matchesDomain, normaliseDomain } from './link-rules'

export function booleanOption(options: object, name: string, fallback: boolean): boolean {
  const value = (options as Record<string, unknown>)[name]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`options.${name} must be true or false, not ${describeValue(value)}`)
  }
  return value
}

export function optionsObject<T extends object>(options: T | undefined, fn: string): T {
  if (options === undefined || options === null) return {} as T
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}'s options must be an object such as { configuration }, not ${describeValue(options)}`)
  }
  return options
}

function domainList(options: AdaptTextOptions, name: 'allowDomains' | 'denyDomains'): string[] | null {
  const value = options[name]
  if (value === undefined) return null
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(`options.${name} must be an array of domain names such as ['example.com'], not ${describeValue(value)}`)
  }
  return value.map((entry: unknown) => {
    const domain = typeof entry === 'string' ? normaliseDomain(entry) : null
    if (domain === null) {
      throw new InvalidArgumentError(`options.${name} holds ${typeof entry === 'string' ? `"${entry}"` : describeValue(entry)}, which is not a domain name such as example.com`)
    }
    return domain
  })
}

function functionOption<T>(options: AdaptTextOptions, name: 'shouldTrackLink'): T | null {
  const value = options[name]
  if (value === undefined) return null
  if (typeof value !== 'function') {
    throw new InvalidArgumentError(`options.${name} must be a function (link) => boolean, not ${describeValue(value)}`)
  }
  return value as T
}

/** A link about to be decided, with what the callbacks may see. */
export interface Candidate {
  url: string
  tagName: string | null
  id: string | null
  index: number | null
  inConditionalComment: boolean
  /** Builds the attributes record only when a callback asks for it. */
  attributes: () => Readonly<Record<string, string>>
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({})

/** Everything both adaptHtml and adaptText decide about links: which to track and their new URL. */
export class LinkTracker {
  readonly configuration: Configuration
  private readonly metadata: Metadata | null | undefined
  private readonly allow: string[] | null
  private readonly deny: string[] | null
  private readonly predicate: LinkPredicate | null
  private readonly perLink: LinkMetadataCallback | null
  private readonly clickBase: string
  private readonly cache = new Map<string, string>()
  private tooLong = 0
  private invalid = 0

  constructor(metadata: Metadata | null | undefined, options: AdaptTextOptions, configuration: Configuration) {
    this.configuration = configuration
    this.metadata = metadata
    this.allow = domainList(options, 'allowDomains')
    this.deny = domainList(options, 'denyDomains')
    this.predicate = functionOption<LinkPredicate>(options, 'shouldTrackLink')
    const perLink = options.linkMetadata
    if (perLink === undefined || perLink === false) this.perLink = null
    else if (perLink === true) this.perLink = defaultLinkMetadata
    else if (typeof perLink === 'function') this.perLink = perLink
    else {
      throw new InvalidArgumentError(`options.linkMetadata must be true, false or a function (link) => metadata, not ${describeValue(perLink)}`)
    }
    const base = configuration.baseClickTrackingUrl
    if (base === null) {
      throw new ConfigurationError(
        "baseClickTrackingUrl is not set: give it in the Configuration or the options (e.g. { baseClickTrackingUrl: 'https://track.example.com/click/' }), or pass { clickTracking: false }",
        { setting: 'baseClickTrackingUrl' },
      )
    }
    this.clickBase = base.toLowerCase()
  }

  /** Why the link is not tracked, or null when it is. The predicate runs last. */
  reasonToSkip(candidate: Candidate): SkipReason | null {
    const url = candidate.url
    if (url === '') return 'empty'
    if (hasPlaceholder(url)) return 'placeholder'
    // The one rule the link is checked by when it is made and when it is served.
    let destination: URL
    try {
      destination = parseClickDestination(url).url
    } catch (error) {
      if (!isPytrackError(error, 'ERR_PYTRACK_INVALID_DESTINATION')) throw error
      if (error.reason === 'not-http') return 'not-http'
      this.invalid++
      return 'invalid-url'
    }
    if (url.length >= this.clickBase.length && url.slice(0, this.clickBase.length).toLowerCase() === this.clickBase) {
      return 'already-tracked'
    }
    if (this.allow !== null || this.deny !== null) {
      // Without the final dot of a fully qualified name: `example.com.` is `example.com`.
      const host = destination.hostname.endsWith('.') ? destination.hostname.slice(0, -1) : destination.hostname
      if (this.deny !== null && matchesDomain(host, this.deny)) return 'domain'
      if (this.allow !== null && !matchesDomain(host, this.allow)) return 'domain'
    }
    if (this.predicate !== null && this.predicate(contextOf(candidate)) !== true) return 'predicate'
    return null
  }

  /** The tracking URL, or null when it would be longer than maxLinkLength. */
  trackingUrl(candidate: Candidate): string | null {
    const perLink = this.perLink
    if (perLink === null) {
      const cached = this.cache.get(candidate.url)
      if (cached !== undefined) return cached
    }
    const extra = this.extraMetadata(candidate)
    const metadata = extra === null ? this.metadata : { ...this.metadata, ...extra }
    try {
      const link = getClickTrackingUrl(candidate.url, metadata, { configuration: this.configuration })
      if (perLink === null) this.cache.set(candidate.url, link)
      return link
    } catch (error) {
      if (!isPytrackError(error, 'ERR_PYTRACK_LINK_TOO_LONG')) throw error
      this.tooLong++
      return null
    }
  }

  /** Whether `linkMetadata` is set, so that each link carries metadata of its own. */
  get perLinkMetadata(): boolean {
    return this.perLink !== null
  }

  /** What `linkMetadata` adds to this link's metadata (checked), or null for nothing. */
  extraMetadata(candidate: Candidate): Metadata | null {
    const perLink = this.perLink
    if (perLink === null) return null
    const extra: unknown = perLink(contextOf(candidate))
    if (extra === undefined || extra === null) return null
    if (typeof extra !== 'object' || Array.isArray(extra)) {
      throw new InvalidArgumentError(`options.linkMetadata returned ${describeValue(extra)}; it must return a plain object of metadata, null or undefined`)
    }
    return extra as Metadata
  }

  warnings(): AdaptWarning[] {
    const warnings: AdaptWarning[] = []
    if (this.invalid !== 0) {
      warnings.push({
        code: 'invalid-url',
        message: `${this.invalid} link(s) were left untracked because their http(s) URL is malformed (such as https:/host, a backslash or a control character), so no tracking link could redirect to it; fix the href`,
      })
    }
    if (this.tooLong !== 0) {
      warnings.push({
        code: 'link-too-long',
        message: `${this.tooLong} link(s) were left untouched because their tracking URL would exceed maxLinkLength (${this.configuration.maxLinkLength}); seal less metadata or raise maxLinkLength`,
      })
    }
    return warnings
  }
}

function contextOf(candidate: Candidate): LinkContext {
  return {
    url: candidate.url,
    tagName: candidate.tagName,
    id: candidate.id,
    index: candidate.index,
    attributes: candidate.attributes(),
    inConditionalComment: candidate.inConditionalComment,
  }
}

function defaultLinkMetadata(link: LinkContext): Metadata {
  const extra: Metadata = {}
  if (link.index !== null) extra.link_index = link.index
  if (link.id !== null) extra.link_id = link.id
  return extra
}

export function noAttributes(): Readonly<Record<string, string>> {
  return NO_ATTRIBUTES
}
