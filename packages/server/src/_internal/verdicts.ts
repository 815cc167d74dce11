/**
 * Machine verdicts from what happens across the hits of one email, not one hit alone. Each hit
 * is judged when it is answered, against the hits of its email in the recent past (a bounded
 * window, so the cost per hit stays constant), and may change the labels of those earlier hits
 * (a trap clicked 2 s later, the third link of a burst). Rules and sources: the server README,
 * "Machine verdicts".
 */
import { networkOf } from './privacy'

/** How long an email's hits stay open to reconsideration, in ms. */
export const VERDICT_WINDOW_MS = 60_000
/** Mautic's rule: a click within 2 s of sending is a machine's (mautic/mautic issue 16263). */
const TOO_SOON_MS = 2_000
/** The Mautic community's honeypot idea: a trap click voids the clicks within ±10 s (mautic/mautic issue 9798). */
const TRAP_MS = 10_000
/** Three different links of one email within 5 s, or two within 1 s: no person clicks like that. */
const BURST_MS = 5_000
const BURST_LINKS = 3
const FAST_MS = 1_000
/** An open and a click of one email from one network within 2 s of each other... */
const TOGETHER_MS = 2_000
/** ...in the first minute after the link was made: a scanner fetching everything at delivery. */
const DELIVERY_MS = 60_000
/**
 * Three links in 5 s and the slower sweep count only this soon after sending (or when the link
 * has no issue time): gateways scan at delivery, and a person who opens several links in new
 * tabs does it when reading, later. Two links within 1 s count at any time.
 */
const SCAN_AFTER_SENDING_MS = 600_000
/** A click followed within 2 s by a click of the same link from another network: a time-of-click scan (Safe Links) before the reader's own. */
const CLICK_CHECK_MS = 2_000
/** Three different links from one network, each within 5 s of the one before: a scanner walking the links more slowly than a burst. */
const SWEEP_GAP_MS = 5_000
const SWEEP_LINKS = 3
/** Hits kept per email: a flood on one email cannot make one hit cost more. */
const MAX_HITS_PER_EMAIL = 64

/** Labels a verdict gives; every one counts as machine traffic. */
export type VerdictLabel = 'trap' | 'burst' | 'sweep' | 'too-soon' | 'delivery-scan' | 'click-time-scan'

const REASONS: Record<VerdictLabel, string> = {
  trap: 'the trap link, which no person can see or reach, was clicked within 10 s of it',
  burst: 'one of several different links of the email clicked within seconds of each other',
  'too-soon': 'less than 2 s after the link was made: too soon for a person',
  'delivery-scan': "the email's open and a click came together (2 s) from one network within a minute of sending",
  'click-time-scan': 'the same link was followed from another network within 2 s: a time-of-click scan before the reader',
  sweep: 'one of three or more different links of the email followed from one network, each within 5 s of the one before: a scanner walking the links',
}

/** One hit as the verdicts see it. */
export interface VerdictHit {
  kind: 'open' | 'click'
  /** When it arrived, ms since the epoch. */
  time: number
  emailId: string
  clientIp: string | null
  destination: string | null
  /** The per-hit label of @pytrack/http. */
  label: string
  machine: boolean
  /** A click on the trap link of @pytrack/html. */
  trap: boolean
  /** When the link was made (ms since the epoch), when the link tells it. */
  issuedAt: number | null
}

/** A hit kept in its email's window. `id` is set once its event is stored. */
export interface VerdictEntry {
  id: number | null
  /** Its event's commit, once under way (the id a later verdict needs may still be in flight). */
  stored: Promise<{ id: number }> | null
  kind: 'open' | 'click'
  time: number
  /** The label it got when answered. */
  firstLabel: string
  network: string | null
  destination: string | null
  /** Its destination's number in its email's window (-1 for an open): the rules compare numbers, not URLs. */
  link: number
  label: string
  machine: boolean
  trap: boolean
  issuedAt: number | null
}

/** A label change of an earlier hit. */
export interface VerdictChange {
  entry: VerdictEntry
  previousLabel: string
  label: VerdictLabel
  reason: string
}

/** What {@link Verdicts.judge} decided. */
export interface Judgement {
  /** The hit's entry in the window: set its `id` once the event is stored. */
  entry: VerdictEntry
  /** The hit's own new label, or null when its per-hit label stands. */
  label: VerdictLabel | null
  reason: string | null
  /** Earlier hits of the email that are now machine traffic. */
  changes: VerdictChange[]
}

/** Makes an earlier hit a machine's, once (no closure per hit: this runs on every hit's path). */
function mark(changes: VerdictChange[], other: VerdictEntry, label: VerdictLabel): void {
  if (other.machine) return
  changes.push({ entry: other, previousLabel: other.label, label, reason: REASONS[label] })
  other.label = label
  other.machine = true
}

/** The network of a hit's address (IPv4 /24, IPv6 /48); the handler gives a valid address, so IPv4 needs no check. */
function networkKey(ip: string | null): string | null {
  if (ip === null || ip === '') return null
  return ip.includes(':') ? networkOf(ip) : ip.slice(0, ip.lastIndexOf('.'))
}

interface EmailWindow {
  /** Oldest first. */
  entries: VerdictEntry[]
  /** How many of them are clicks: an open with no click around needs no look at the others. */
  clicks: number
  last: number
  /** A number for each destination clicked in the window (rebuilt when it grows past {@link MAX_LINKS_PER_EMAIL}). */
  links: Map<string | null, number>
}

/** Destinations numbered per email before the numbering is rebuilt from the hits the window holds. */
const MAX_LINKS_PER_EMAIL = 1024

/** The number of a click's destination in its email's window. */
function linkOf(window: EmailWindow, destination: string | null): number {
  let link = window.links.get(destination)
  if (link !== undefined) return link
  if (window.links.size >= MAX_LINKS_PER_EMAIL) {
    // Many links in one window's life: number again only those its hits still hold.
    window.links.clear()
    for (const entry of window.entries) if (entry.kind === 'click') entry.link = linkOf(window, entry.destination)
    const again = window.links.get(destination)
    if (again !== undefined) return again
  }
  link = window.links.size
  window.links.set(destination, link)
  return link
}

/** The recent hits of every email, and the rules that judge a new one against them. */
export class Verdicts {
  readonly #emails = new Map<string, EmailWindow>()
  readonly #windowMs: number

  constructor(windowMs: number = VERDICT_WINDOW_MS) {
    this.#windowMs = windowMs
  }

  /** Emails with hits in the window (for tests and the bench). */
  get size(): number {
    return this.#emails.size
  }

  /** Hits of one email held in the window now (for tests). */
  hitsOf(emailId: string): number {
    return this.#emails.get(emailId)?.entries.length ?? 0
  }

  /**
   * Judges a hit against the recent hits of its email: its own verdict (null when its per-hit
   * label stands) and the earlier hits it makes machine traffic. Constant work a hit: at most
   * the 64 hits an email keeps, of the last {@link VERDICT_WINDOW_MS}.
   */
  judge(hit: VerdictHit): Judgement {
    const window = this.#windowOf(hit.emailId, hit.time)
    const entry: VerdictEntry = {
      id: null,
      stored: null,
      kind: hit.kind,
      time: hit.time,
      firstLabel: hit.label,
      network: networkKey(hit.clientIp),
      destination: hit.destination,
      link: hit.kind === 'click' ? linkOf(window, hit.destination) : -1,
      label: hit.label,
      machine: hit.machine,
      trap: hit.trap,
      issuedAt: hit.issuedAt,
    }
    const changes: VerdictChange[] = []
    // The hit's own verdict: the first rule that fires, unless its per-hit label is already a machine's.
    let own: VerdictLabel | null = null

    if (hit.trap) own ??= 'trap'
    // A link made after the hit means two clocks disagree: no time rule then.
    const sinceIssued = hit.issuedAt === null ? null : hit.time - hit.issuedAt
    if (sinceIssued !== null && sinceIssued >= 0 && sinceIssued < TOO_SOON_MS) own ??= 'too-soon'

    const entries = window.entries
    let recentClicks = 0
    // Distinct links clicked in the last 5 s (this one, a second, a third: all the rule needs to
    // know) and whether another was clicked in the last second. Numbers, not URLs, and no Set:
    // this loop runs over up to 64 hits on every click.
    const link = entry.link
    let secondLink = -1
    let burstLinks = 1
    let fastLinks = 1
    // Newest first, and no further back than the widest rule (the trap's 10 s).
    for (let i = hit.kind === 'open' && window.clicks === 0 ? -1 : entries.length - 1; i >= 0; i--) {
      const other = entries[i]!
      const apart = Math.abs(hit.time - other.time)
      if (apart > TRAP_MS && other.time < hit.time) break
      const sameNetwork = entry.network !== null && other.network === entry.network
      // The trap voids the clicks around it, and the opens from its network.
      if (apart <= TRAP_MS) {
        if (hit.trap && (other.kind === 'click' || sameNetwork)) mark(changes, other, 'trap')
        if (other.trap && (hit.kind === 'click' || sameNetwork)) own ??= 'trap'
      }
      if (hit.kind === 'click' && other.kind === 'click' && !other.trap && hit.time - other.time <= BURST_MS) {
        recentClicks++
        if (other.link !== link) {
          if (secondLink === -1) {
            secondLink = other.link
            burstLinks = Math.max(burstLinks, 2)
          } else if (other.link !== secondLink) {
            burstLinks = 3
          }
          if (hit.time - other.time <= FAST_MS) fastLinks = 2
        }
      }
      if (other.kind !== hit.kind && sameNetwork && apart <= TOGETHER_MS && atDelivery(hit) && atDelivery(other)) {
        own ??= 'delivery-scan'
        mark(changes, other, 'delivery-scan')
      }
      if (
        hit.kind === 'click' && other.kind === 'click' && !hit.trap && other.link === link &&
        !sameNetwork && other.network !== null && entry.network !== null && hit.time - other.time <= CLICK_CHECK_MS && hit.time >= other.time
      ) {
        mark(changes, other, 'click-time-scan')
      }
    }
    const soonAfterSending = hit.issuedAt === null || hit.time < hit.issuedAt || hit.time - hit.issuedAt <= SCAN_AFTER_SENDING_MS
    if (recentClicks > 0 && !hit.trap && ((soonAfterSending && burstLinks >= BURST_LINKS) || fastLinks >= 2)) {
      own ??= 'burst'
      for (let i = entries.length - 1; i >= 0 && hit.time - entries[i]!.time <= TRAP_MS; i--) {
        const other = entries[i]!
        if (other.kind === 'click' && !other.trap && hit.time - other.time <= BURST_MS) mark(changes, other, 'burst')
      }
    }

    if (hit.kind === 'click' && !hit.trap && soonAfterSending && entry.network !== null) {
      const sweep = sweepOf(entries, entry)
      if (sweep !== null) {
        own ??= 'sweep'
        for (const other of sweep) mark(changes, other, 'sweep')
      }
    }

    const label: VerdictLabel | null = entry.machine ? null : own
    if (label !== null) {
      entry.label = entry.firstLabel = label
      entry.machine = true
    }
    entries.push(entry)
    if (entry.kind === 'click') window.clicks++
    if (entries.length > MAX_HITS_PER_EMAIL && entries.shift()!.kind === 'click') window.clicks--
    if (changes.length > 1) changes.sort((a, b) => a.entry.time - b.entry.time)
    return { entry, label, reason: label === null ? null : REASONS[label], changes }
  }

  /** The email's window, pruned to the recent past; emails idle past the window are dropped. */
  #windowOf(emailId: string, now: number): EmailWindow {
    const horizon = now - this.#windowMs
    let window = this.#emails.get(emailId)
    if (window === undefined) window = { entries: [], clicks: 0, last: now, links: new Map() }
    else this.#emails.delete(emailId)
    window.last = Math.max(window.last, now)
    this.#emails.set(emailId, window)
    const entries = window.entries
    let stale = 0
    while (stale < entries.length && entries[stale]!.time < horizon) {
      if (entries[stale]!.kind === 'click') window.clicks--
      stale++
    }
    if (stale > 0) entries.splice(0, stale)
    // The map is in order of last use: the idle ones are at its front (at most two dropped a hit, so none lingers).
    for (let dropped = 0; dropped < 2; dropped++) {
      const oldest = this.#emails.keys().next()
      if (oldest.done === true || this.#emails.get(oldest.value)!.last >= horizon) break
      this.#emails.delete(oldest.value)
    }
    return window
  }
}

/**
 * The `reclassified` webhook payload: which earlier events of one email are machine traffic
 * now, with their first, previous and new labels. Receivers correct their counts with it.
 */
export function reclassifiedPayload(emailId: string, eventId: number, time: number, changes: readonly VerdictChange[]): string {
  return JSON.stringify({
    type: 'reclassified',
    email_id: emailId,
    event_id: eventId,
    timestamp: Math.floor(time / 1000),
    events: changes.map(({ entry, previousLabel, label, reason }) => ({
      id: entry.id,
      kind: entry.kind,
      time: entry.time,
      first_label: entry.firstLabel,
      previous_label: previousLabel,
      label,
      machine: true,
      reason,
    })),
  })
}

/**
 * The hits of a sweep that `hit` (a click) ends: going back from it, the hits from its network
 * each within 5 s of the one after, when they follow at least three different links (the hit's
 * included). Opens from the network within the chain are part of it. Null when no sweep.
 */
function sweepOf(entries: readonly VerdictEntry[], hit: VerdictEntry): VerdictEntry[] | null {
  // First whether it is one (two more links than the hit's, no allocation), then its hits.
  let second = -1
  let links = 1
  let last = hit.time
  let end = entries.length
  for (let i = entries.length - 1; i >= 0; i--) {
    const other = entries[i]!
    if (last - other.time > SWEEP_GAP_MS) break
    end = i
    if (other.network !== hit.network || other.trap) continue
    if (other.kind === 'click' && other.link !== hit.link) {
      if (second === -1) {
        second = other.link
        links = Math.max(links, 2)
      } else if (other.link !== second) {
        links = 3
      }
    }
    last = other.time
  }
  if (links < SWEEP_LINKS) return null
  const chain: VerdictEntry[] = []
  for (let i = entries.length - 1; i >= end; i--) {
    const other = entries[i]!
    if (other.network === hit.network && !other.trap) chain.push(other)
  }
  return chain
}

/** Within a minute of the link's issue time; true when the time is unknown (or the clocks disagree). */
function atDelivery(hit: { time: number; issuedAt: number | null }): boolean {
  return hit.issuedAt === null || hit.time < hit.issuedAt || hit.time - hit.issuedAt <= DELIVERY_MS
}
