import { base64Codec, toPythonJson, type Configuration, type Metadata } from '@pytrack/core'
import type { Candidate, LinkTracker } from './link-tracker'

// The tracking URLs of a compiled template, made for one recipient at a time. They are the
// bytes core's getClickTrackingUrl and getOpenTrackingUrl make (same payload, same codec), built
// with less work: the recipient's metadata is written as JSON once, not once a link, and with
// the base64 codec each link's `{"url": "..."` is encoded once for all recipients. Whatever is
// unusual (metadata core would refuse, a link over maxLinkLength, a codec that throws) makes
// `render` return null, and the caller runs the reference path, which gives core's answer or error.

/** One tracking URL of a template: a destination and, with `linkMetadata`, its own metadata. */
interface Slot {
  /** `{"url": "<destination as JSON>"`: the payload up to the metadata. */
  head: string
  extra: Metadata | null
  /** Base64 codec only: the head's first (length - length % 3) characters, encoded. */
  encodedHead: string
  /** Base64 codec only: the 0 to 2 characters left over, encoded with the rest each time. */
  headTail: string
}

const NON_ASCII = /[^\x00-\x7f]/

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

export class TrackingSlots {
  private readonly configuration: Configuration
  private readonly slots: Slot[] = []
  private readonly base64: boolean
  /** `, "webhook": "..."` when links carry the webhook URL, else empty. */
  private readonly webhook: string
  private readonly slash: string
  /** Distinct head tails, so that one encoding per tail serves every link of a recipient. */
  private readonly tails = new Map<string, number>()
  private readonly tailOf: number[] = []

  constructor(configuration: Configuration) {
    this.configuration = configuration
    this.base64 = configuration.codec === base64Codec
    this.webhook = configuration.includeWebhookUrl && configuration.webhookUrl ? `"webhook": ${toPythonJson(configuration.webhookUrl)}` : ''
    this.slash = configuration.appendSlash ? '/' : ''
  }

  /** Every link and the pixel are ASCII (base64 tokens, ASCII base URLs), so their UTF-8 size is their length. */
  get asciiOnly(): boolean {
    const { baseClickTrackingUrl: click, baseOpenTrackingUrl: open } = this.configuration
    return this.base64 && !NON_ASCII.test(click ?? '') && !NON_ASCII.test(open ?? '')
  }

  /** Adds a click tracking URL to make for each recipient; returns its number. */
  add(url: string, extra: Metadata | null): number {
    const head = `{"url": ${toPythonJson(url)}`
    const cut = head.length - (head.length % 3)
    const slot: Slot = { head, extra, encodedHead: '', headTail: head.slice(cut) }
    if (this.base64) slot.encodedHead = base64Codec.seal(head.slice(0, cut))
    let tail = this.tails.get(slot.headTail)
    if (tail === undefined) this.tails.set(slot.headTail, (tail = this.tails.size))
    this.tailOf.push(tail)
    this.slots.push(slot)
    return this.slots.length - 1
  }

  /**
   * The recipient's tracking URLs, one a slot, then the open tracking URL when `withPixel`; null
   * when the reference path must decide (see the top of this file).
   */
  render(metadata: Metadata | null | undefined, withPixel: boolean): string[] | null {
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || !isPlainObject(metadata))) return null
    const configuration = this.configuration
    const clickBase = configuration.baseClickTrackingUrl
    const maxLength = configuration.maxLinkLength
    const slots = this.slots
    const urls = new Array<string>(slots.length + (withPixel ? 1 : 0))
    try {
      const shared = this.metadataPart(metadata)
      const rest = this.rest(shared, true)
      if (slots.length > 0) {
        if (clickBase === null) return null
        const encodedTails = this.base64 ? new Array<string | undefined>(this.tails.size) : null
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[i]!
          let token: string | null
          if (slot.extra !== null) {
            const own = this.rest(this.metadataPart({ ...metadata, ...slot.extra }), true)
            token = this.seal(slot, own)
          } else if (encodedTails !== null) {
            const tail = this.tailOf[i]!
            token = slot.encodedHead + (encodedTails[tail] ??= base64Codec.seal(slot.headTail + rest))
          } else {
            token = this.seal(slot, rest)
          }
          if (token === null) return null
          const url = clickBase + token + this.slash
          if (url.length > maxLength) return null
          urls[i] = url
        }
      }
      if (withPixel) {
        const openBase = configuration.baseOpenTrackingUrl
        if (openBase === null) return null
        const token = this.sealed(`{${this.rest(shared, false)}`)
        if (token === null) return null
        const url = openBase + token + this.slash
        if (url.length > maxLength) return null
        urls[slots.length] = url
      }
    } catch {
      return null
    }
    return urls
  }

  /** `"metadata": {...}` as core writes it for this metadata (default metadata merged in), or empty. */
  private metadataPart(metadata: Metadata | null | undefined): string {
    let merged: Metadata | null | undefined = metadata
    const defaults = this.configuration.defaultMetadata
    if (this.configuration.includeDefaultMetadata && defaults) merged = metadata ? { ...defaults, ...metadata } : defaults
    if (!merged) return ''
    const json = toPythonJson(merged)
    return json === '{}' ? '' : `"metadata": ${json}`
  }

  /** The payload after its URL (`afterUrl`) or after `{` (the pixel's), up to the closing `}`. */
  private rest(metadataPart: string, afterUrl: boolean): string {
    let out = ''
    let first = !afterUrl
    if (metadataPart !== '') {
      out = first ? metadataPart : `, ${metadataPart}`
      first = false
    }
    if (this.webhook !== '') out += first ? this.webhook : `, ${this.webhook}`
    return `${out}}`
  }

  private seal(slot: Slot, rest: string): string | null {
    return this.sealed(slot.head + rest)
  }

  private sealed(payload: string): string | null {
    const token: unknown = this.configuration.codec.seal(payload)
    return typeof token === 'string' && token !== '' ? token : null
  }
}

/**
 * Records, while the links are decided, which tracking URL each tracked link needs: one per
 * destination (as adaptHtml's cache gives), or one per link with `linkMetadata`.
 */
export function slotRecorder(tracker: LinkTracker, slots: TrackingSlots): (candidate: Candidate) => string {
  const byUrl = new Map<string, number>()
  return (candidate) => {
    if (tracker.perLinkMetadata) return String(slots.add(candidate.url, tracker.extraMetadata(candidate)))
    let slot = byUrl.get(candidate.url)
    if (slot === undefined) byUrl.set(candidate.url, (slot = slots.add(candidate.url, null)))
    return String(slot)
  }
}
