import { isDoNotTrack, type Metadata } from '@pytrack/core'
import type { AdaptHtmlOptions, AdaptHtmlResult, AdaptWarning, TrackedLink } from './types'
import { PIXEL, TRAP, adaptHtml, clipWarning, hrefText, htmlSettings, pixelTag, planHtml, type HtmlPlan, type HtmlSettings } from './adapt-html'
import { TRAP_METADATA_KEY, trapLinkTag } from './trap-link'
import { LinkTracker } from './_internal/link-tracker'
import { TrackingSlots, slotRecorder } from './_internal/link-slots'
import { staticSegments, type Splice } from './_internal/splices'
import { exceedsUtf8Bytes, utf8ByteLength } from './_internal/utf8'

/**
 * An HTML email prepared once by {@link compileHtml}, rendered for each recipient.
 *
 * @example
 * ```ts
 * const template: CompiledHtml = compileHtml(html, { configuration })
 * for (const recipient of recipients) send(recipient, template.render({ message_id: recipient.id }).html)
 * ```
 */
export interface CompiledHtml {
  /**
   * The email for one recipient: the same result as `adaptHtml(html, metadata, options)` with
   * the template's html and options, byte for byte (the links' tokens, the pixel, the warnings).
   * Throws what adaptHtml throws for this metadata (`MetadataError`...).
   */
  render(metadata?: Metadata | null): AdaptHtmlResult
  /** How many links each render rewrites (a recipient whose links would pass maxLinkLength gets fewer). */
  readonly linkCount: number
}

/** Where a link's tracking URL goes: its slot in TrackingSlots, as compile time's stand-in for the URL. */
function slotOf(link: TrackedLink): number {
  return Number(link.trackingUrl)
}

/**
 * Prepares an HTML email for many recipients: it is parsed and its links are found and decided
 * once (with the options' rules, `shouldTrackLink` and `linkMetadata` called now, once a link),
 * and each {@link CompiledHtml.render} only splices the recipient's tracking URLs and pixel
 * into the unchanged text. A render gives exactly what {@link adaptHtml} gives for the same
 * html, metadata and options, at a fraction of the cost: with base64 links, the recipient's
 * metadata is written once and each link's URL part is encoded once for all recipients.
 *
 * A recipient for whom adaptHtml would do something unusual (a link over `maxLinkLength`,
 * metadata it refuses) is rendered by adaptHtml itself, so the answer and the errors are its own.
 * Throws, now, what adaptHtml throws for these options (`InvalidArgumentError`, `ConfigurationError`).
 *
 * @example
 * ```ts
 * import { Configuration } from '@pytrack/core'
 * import { compileHtml } from '@pytrack/html'
 *
 * const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
 * const template = compileHtml('<body><a href="https://example.com/sale">Sale</a></body>', { configuration })
 * const { html } = template.render({ message_id: 'm-1', customer_id: 42 })
 * ```
 */
export function compileHtml(html: string, options?: AdaptHtmlOptions): CompiledHtml {
  const settings = htmlSettings(html, options, 'compileHtml')
  // Read now: a later change to the caller's object changes no render.
  settings.options = { ...settings.options }
  const slots = new TrackingSlots(settings.configuration)
  const tracker = settings.clickTracking ? new LinkTracker(null, settings.options, settings.configuration) : null
  const plan = planHtml(html, settings, tracker, tracker === null ? () => null : slotRecorder(tracker, slots))
  // What the tracker found wrong with the links (malformed URLs) is the same for every recipient,
  // and comes first, as in adaptHtml. Links too long for a recipient are adaptHtml's to render.
  if (tracker !== null) plan.warnings.unshift(...tracker.warnings())
  return new HtmlTemplate(html, settings, plan, slots)
}

class HtmlTemplate implements CompiledHtml {
  readonly linkCount: number
  private readonly html: string
  private readonly settings: HtmlSettings
  private readonly links: readonly TrackedLink[]
  private readonly skipped: AdaptHtmlResult['skipped']
  private readonly pixelRange: { start: number; end: number } | null
  private readonly warnings: readonly AdaptWarning[]
  private readonly slots: TrackingSlots
  private readonly trap: HtmlPlan['trap']
  private readonly trapSlot: number
  /** What is the same for every recipient: the text between the links and the pixel. */
  private readonly segments: string[]
  /** The links and the pixel between the segments, in order. */
  private readonly dynamic: Splice[]
  /** The segments' UTF-8 size and length. */
  private readonly segmentBytes: number
  private readonly segmentLength: number

  constructor(html: string, settings: HtmlSettings, plan: HtmlPlan, slots: TrackingSlots) {
    this.html = html
    this.settings = settings
    this.links = plan.links
    this.skipped = plan.skipped.map((link) => Object.freeze(link))
    this.pixelRange = plan.pixelRange
    this.warnings = plan.warnings.map((warning) => Object.freeze(warning))
    this.slots = slots
    this.trap = plan.trap
    // The trap seals the email's metadata plus its marker: a link with metadata of its own.
    this.trapSlot = plan.trap === null ? -1 : slots.add(plan.trap.url, { [TRAP_METADATA_KEY]: true })
    this.linkCount = plan.links.length
    const { segments, dynamic } = staticSegments(html, plan.splices)
    this.segments = segments
    this.dynamic = dynamic
    // Counted apart, as in the output: a link, the trap or the pixel, ASCII at both ends, sits between them.
    this.segmentBytes = segments.reduce((sum, text) => sum + utf8ByteLength(text), 0)
    this.segmentLength = segments.reduce((sum, text) => sum + text.length, 0)
  }

  render(metadata?: Metadata | null): AdaptHtmlResult {
    const pixelRange = this.pixelRange
    // Do-not-track and metadata a link cannot carry: adaptHtml's own answer (or error).
    const urls = isDoNotTrack(metadata) ? null : this.slots.render(metadata, pixelRange !== null)
    if (urls === null) return adaptHtml(this.html, metadata, this.settings.options)
    const template = this.links
    const segments = this.segments
    const dynamic = this.dynamic
    const links = new Array<TrackedLink>(template.length)
    let pixel: AdaptHtmlResult['pixel'] = null
    let trapLink: AdaptHtmlResult['trapLink'] = null
    let output = segments[0]!
    for (let i = 0; i < dynamic.length; i++) {
      const splice = dynamic[i]!
      if (splice.link === PIXEL) {
        const url = urls[urls.length - 1]!
        pixel = { url, html: pixelTag(url), start: pixelRange!.start, end: pixelRange!.end }
        output += pixel.html + segments[i + 1]!
        continue
      }
      if (splice.link === TRAP) {
        const { url, at } = this.trap!
        const trackingUrl = urls[this.trapSlot]!
        trapLink = { url, trackingUrl, html: trapLinkTag(trackingUrl), start: at, end: at }
        output += trapLink.html + segments[i + 1]!
        continue
      }
      const link = template[splice.link]!
      const trackingUrl = urls[Number(link.trackingUrl)]!
      links[splice.link] = {
        url: link.url,
        trackingUrl,
        index: link.index,
        id: link.id,
        tagName: link.tagName,
        inConditionalComment: link.inConditionalComment,
        start: link.start,
        end: link.end,
      }
      output += hrefText(trackingUrl, splice.unquoted) + segments[i + 1]!
    }
    const warnings = this.warnings.slice()
    if (this.exceedsClipSize(output, urls)) warnings.push(clipWarning(this.settings, pixel !== null))
    return { html: output, links, skipped: this.skipped.slice(), pixel, trapLink, warnings }
  }

  /** exceedsUtf8Bytes(output, clipBytes), from the sizes known at compile time when it can. */
  private exceedsClipSize(output: string, urls: readonly string[]): boolean {
    const limit = this.settings.clipBytes
    // With ASCII links and pixel (a byte a character), the size is the segments' plus theirs.
    if (!this.slots.asciiOnly && urls.some((url) => NON_ASCII.test(url))) return exceedsUtf8Bytes(output, limit)
    return this.segmentBytes + output.length - this.segmentLength > limit
  }
}

const NON_ASCII = /[^\x00-\x7f]/
