import { isDoNotTrack, resolveConfiguration, type Metadata } from '@pytrack/core'
import type { AdaptTextOptions, AdaptTextResult, AdaptWarning, SkippedLink, TrackedLink } from './types'
import { adaptText, planText, textSettings } from './adapt-text'
import { LinkTracker, booleanOption } from './_internal/link-tracker'
import { TrackingSlots, slotRecorder } from './_internal/link-slots'
import { staticSegments, type Splice } from './_internal/splices'

/**
 * A text/plain part prepared once by {@link compileText}, rendered for each recipient.
 *
 * @example
 * ```ts
 * const plain: CompiledText = compileText(text, { configuration })
 * const { text: personalised } = plain.render({ message_id: 'm-1' })
 * ```
 */
export interface CompiledText {
  /** The part for one recipient: the same result as `adaptText(text, metadata, options)`, byte for byte. */
  render(metadata?: Metadata | null): AdaptTextResult
  /** How many URLs each render rewrites. */
  readonly linkCount: number
}

/**
 * Prepares the text/plain part of an email for many recipients, as {@link compileHtml} does
 * for the HTML part: its URLs are found and decided once, and each render splices in the
 * recipient's tracking URLs, giving exactly what {@link adaptText} gives.
 *
 * @example
 * ```ts
 * const plain = compileText('Our sale: https://example.com/sale.', { configuration })
 * plain.render({ message_id: 'm-1' }).text // 'Our sale: https://t.example.com/c/eyJ1cmwiOi....'
 * ```
 */
export function compileText(text: string, options?: AdaptTextOptions): CompiledText {
  const settings = { ...textSettings(text, options, 'compileText') }
  if (!booleanOption(settings, 'clickTracking', true)) return new TextTemplate(text, settings, [], [], [], null, [])
  const configuration = resolveConfiguration(settings)
  const tracker = new LinkTracker(null, settings, configuration)
  const slots = new TrackingSlots(configuration)
  const { links, skipped, splices } = planText(text, tracker, slotRecorder(tracker, slots))
  // The template's own warnings (malformed URLs); a render that would pass maxLinkLength falls back to adaptText.
  return new TextTemplate(text, settings, links, skipped, splices, slots, tracker.warnings())
}

class TextTemplate implements CompiledText {
  readonly linkCount: number
  private readonly text: string
  private readonly options: AdaptTextOptions
  private readonly links: readonly TrackedLink[]
  private readonly skipped: readonly SkippedLink[]
  private readonly slots: TrackingSlots | null
  private readonly segments: string[]

  private readonly dynamic: Splice[]
  private readonly warnings: readonly AdaptWarning[]

  constructor(text: string, options: AdaptTextOptions, links: TrackedLink[], skipped: SkippedLink[], splices: Splice[], slots: TrackingSlots | null, warnings: AdaptWarning[]) {
    this.text = text
    this.warnings = warnings.map((warning) => Object.freeze(warning))
    this.options = options
    this.links = links
    this.skipped = skipped.map((link) => Object.freeze(link))
    this.slots = slots
    this.linkCount = links.length
    const { segments, dynamic } = staticSegments(text, splices)
    this.segments = segments
    this.dynamic = dynamic
  }

  render(metadata?: Metadata | null): AdaptTextResult {
    if (this.slots === null) return adaptText(this.text, metadata, this.options)
    const urls = isDoNotTrack(metadata) ? null : this.slots.render(metadata, false)
    if (urls === null) return adaptText(this.text, metadata, this.options)
    const template = this.links
    const segments = this.segments
    const links = new Array<TrackedLink>(template.length)
    let output = segments[0]!
    for (let i = 0; i < this.dynamic.length; i++) {
      const index = this.dynamic[i]!.link
      const link = template[index]!
      const trackingUrl = urls[Number(link.trackingUrl)]!
      links[index] = { ...link, trackingUrl }
      output += trackingUrl + segments[i + 1]!
    }
    return { text: output, links, skipped: this.skipped.slice(), warnings: this.warnings.slice() }
  }
}
