// A labelled traffic generator: emails sent to simulated recipients, and the hits their mail
// clients, proxies and scanners make, each with the truth (a person or a machine). It drives a
// real server over HTTP, on a simulated clock the server shares (so a test need not wait for
// real seconds), and scores the server's machine labels against the truth. Used by the verdict
// tests and by `pnpm bench` (bench/verdicts.ts).
//
// The scenarios follow ../shared/research/machine-traffic.md and peers.md; each says its source.
import { Configuration } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { adaptHtml } from '@pytrack/html'
import type { TrackingEvent } from '../src/store/event-store'

/** A clock the generator sets before each hit and the server reads (`startServer(settings, { clock })`). */
export interface SimulatedClock {
  now: () => number
  set: (ms: number) => void
}

export function simulatedClock(start: number): SimulatedClock {
  let now = start
  return { now: () => now, set: (ms) => void (now = ms) }
}

/** Ranges handed to the server as Apple's iCloud Private Relay egress ranges (an operator takes them from Apple's CSV). */
export const APPLE_RANGES: readonly string[] = ['172.224.224.0/20', '104.28.0.0/24']

type Truth = 'person' | 'machine'
type Scenario = 'person' | 'gmail' | 'yahoo' | 'apple' | 'safe-links' | 'gateway' | 'idle'

export interface PlannedHit {
  time: number
  kind: 'open' | 'click'
  path: string
  method: 'GET' | 'HEAD'
  ip: string
  headers: Record<string, string>
  truth: Truth
  who: string
  email: string
  trap: boolean
}

export interface TrafficPlan {
  hits: PlannedHit[]
  emails: number
  scenarios: Record<Scenario, number>
}

// Clients, with the headers they send.
const SAFARI = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'accept-language': 'en-GB,en;q=0.9' }
const CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', accept: 'text/html,application/xhtml+xml,image/avif,image/webp,*/*;q=0.8', 'accept-language': 'en-US,en;q=0.9' }
const OUTLOOK = { 'user-agent': 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)', accept: 'image/*', 'accept-language': 'en-US' }
const APPLE_MAIL = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', accept: 'image/webp,image/png,*/*;q=0.8', 'accept-language': 'en-GB,en;q=0.9' }
// research: Gmail image proxy User-Agent (scientiamobile.com; ua-parser-js issue 494).
const GMAIL_PROXY = { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', accept: '*/*' }
// research: Yahoo's proxy (ua-parser-js issue 494; uap-core PR 333).
const YAHOO_PROXY = { 'user-agent': 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html', accept: '*/*' }
// research: Safe Links and gateways follow links with old Chrome User-Agents (microsoft-365-docs issue 6451; gophish 973, 2115).
const OLD_CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.212 Safari/537.36', accept: 'text/html,*/*;q=0.8', 'accept-language': 'en-US' }

/** A seeded PRNG (mulberry32), so a plan is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface PlanOptions {
  seed: number
  recipients: number
  /** When the first email is sent, ms since the epoch. */
  start: number
  /** The server's link key (Fernet), so links carry their issue time as the server's would. */
  key: string
  openBase: string
  clickBase: string
  clock: SimulatedClock
  /** Add @pytrack/html's trap link to each email. Default true. */
  trapLink?: boolean
}

/** Builds the emails (adaptHtml at their send time) and every hit they get, sorted by time. */
export function planTraffic(options: PlanOptions): TrafficPlan {
  const rand = random(options.seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
  const between = (low: number, high: number): number => low + rand() * (high - low)
  const octet = (): number => 1 + Math.floor(rand() * 253)
  const configuration = new Configuration({
    baseOpenTrackingUrl: options.openBase,
    baseClickTrackingUrl: options.clickBase,
    codec: fernetCodec(options.key, { clock: () => Math.floor(options.clock.now() / 1000) }),
  })
  const hits: PlannedHit[] = []
  const scenarios: Record<Scenario, number> = { person: 0, gmail: 0, yahoo: 0, apple: 0, 'safe-links': 0, gateway: 0, idle: 0 }

  for (let r = 0; r < options.recipients; r++) {
    const email = `m-${options.seed}-${r}`
    const sentAt = options.start + Math.floor(between(0, 600_000))
    const linkCount = 2 + Math.floor(rand() * 5)
    const html = `<html><body>${Array.from({ length: linkCount }, (_, i) => `<p><a href="https://shop.example.com/p/${i}?r=${r}">Item ${i}</a></p>`).join('')}</body></html>`
    options.clock.set(sentAt)
    const adapted = adaptHtml(html, { message_id: email }, { configuration, trapLink: options.trapLink ?? true })
    const pathOf = (url: string): string => new URL(url).pathname
    const pixel = pathOf(adapted.pixel!.url)
    const links = adapted.links.map((link) => pathOf(link.trackingUrl))
    const trap = adapted.trapLink === null ? null : pathOf(adapted.trapLink.trackingUrl)
    const home = `81.${octet()}.${octet()}.${octet()}`
    const hit = (time: number, kind: 'open' | 'click', path: string, ip: string, headers: Record<string, string>, truth: Truth, who: string): void => {
      hits.push({ time: Math.floor(time), kind, path, method: 'GET', ip, headers, truth, who, email, trap: path === trap })
    }
    // A person reads some time after sending (minutes to hours), clicks one or two links, seconds to minutes apart.
    // Some open two links in new tabs a few seconds apart.
    // One in twenty is a shopper who opens three or more links in new tabs, a second or three apart:
    // no source measured how many people do, it is here so the cost of the burst and sweep rules
    // to people shows in the figures (those clicks are a person's, and the rules call them a machine's).
    const personClicks = (from: number, ip: string, headers: Record<string, string>, who: string): void => {
      let at = from + between(4_000, 90_000)
      const shopper = links.length >= 3 && rand() < 0.05
      const count = shopper ? links.length : rand() < 0.7 ? 1 : 2
      const quick = shopper || rand() < 0.2
      const order = shopper ? [...links].sort(() => rand() - 0.5) : null
      for (let c = 0; c < count; c++) {
        hit(at, 'click', order?.[c] ?? pick(links), ip, headers, 'person', shopper ? `${who}, shopper opening tabs` : who)
        at += quick ? between(1_500, 4_000) : between(10_000, 240_000)
      }
    }
    const readAt = sentAt + between(20_000, 3 * 3_600_000)
    const scenario: Scenario = pick(['person', 'person', 'person', 'gmail', 'gmail', 'yahoo', 'apple', 'apple', 'safe-links', 'safe-links', 'gateway', 'idle'] as const)
    scenarios[scenario]++

    // A scan at delivery: every link (and the trap) within seconds, browser User-Agents, one network, rotating addresses
    // (research: Proofpoint, Mimecast, Barracuda "follow every link, often within seconds of delivery, rotating IPs";
    // Mautic issues 9798, 16263; Safe Links scans at delivery, microsoft-365-docs issue 6451). Some fetch the pixel too.
    // Some throttle: a link every 1.5 to 4 s (slower than the burst rule's three links in 5 s).
    const scan = (network: string, headers: Record<string, string>, withPixel: boolean, who: string, gap: [number, number] = [30, 400]): void => {
      let at = sentAt + between(800, 20_000)
      if (withPixel) hit(at, 'open', pixel, `${network}.${octet()}`, headers, 'machine', who)
      const targets = trap === null ? [...links] : [...links, trap]
      targets.sort(() => rand() - 0.5)
      for (const path of targets) {
        at += between(gap[0], gap[1])
        hit(at, 'click', path, `${network}.${octet()}`, headers, 'machine', who)
      }
    }

    switch (scenario) {
      case 'person': {
        // A desktop or phone mail app loading images, then the browser for the click.
        const app = pick([OUTLOOK, APPLE_MAIL, CHROME])
        hit(readAt, 'open', pixel, home, app, 'person', 'person: mail app')
        if (rand() < 0.6) personClicks(readAt, home, pick([CHROME, SAFARI]), 'person: browser')
        break
      }
      case 'gmail': {
        // research: Gmail's delivery-time scan (Chrome/42 Edge/12.246, Mautic PR 10245) on some emails.
        if (rand() < 0.3) {
          hit(sentAt + between(1_000, 30_000), 'open', pixel, `66.102.${octet()}.${octet()}`, {
            'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0',
            accept: '*/*',
          }, 'machine', 'Gmail delivery scan')
        }
        // research: the image proxy fetches when the reader opens (a person's open, label mail-proxy).
        hit(readAt, 'open', pixel, `66.249.${80 + Math.floor(rand() * 12)}.${octet()}`, GMAIL_PROXY, 'person', 'person via Gmail proxy')
        if (rand() < 0.5) personClicks(readAt, home, CHROME, 'person: browser (Gmail)')
        break
      }
      case 'yahoo':
        hit(readAt, 'open', pixel, `98.136.${octet()}.${octet()}`, YAHOO_PROXY, 'person', 'person via Yahoo proxy')
        if (rand() < 0.5) personClicks(readAt, home, CHROME, 'person: browser (Yahoo)')
        break
      case 'apple': {
        // research: Apple MPP loads every pixel through Private Relay when the Mail app syncs, read or not
        // (wordtothewise.com 2021; SocketLabs; Apple's egress ranges). The reader may click later, from home.
        const relay = rand() < 0.5 ? `172.224.${224 + Math.floor(rand() * 16)}.${octet()}` : `104.28.0.${octet()}`
        hit(sentAt + between(3_000, 900_000), 'open', pixel, relay, APPLE_MAIL, 'machine', 'Apple MPP prefetch')
        if (rand() < 0.4) personClicks(readAt, home, SAFARI, 'person: Safari (Apple Mail)')
        break
      }
      case 'safe-links': {
        // Microsoft Safe Links: a scan at delivery, from Microsoft's network (half of them fetch the pixel); then the
        // reader, whose first click follows a scanner's: at time of click Safe Links checks the link again just before
        // the browser gets it (research: microsoft-365-docs issue 6451, "scanned at delivery and at click").
        const microsoft = `40.94.${octet()}`
        scan(microsoft, OLD_CHROME, rand() < 0.5, 'Safe Links at delivery')
        if (rand() < 0.6) {
          hit(readAt, 'open', pixel, home, OUTLOOK, 'person', 'person: Outlook')
          const clickAt = readAt + between(4_000, 90_000)
          const path = pick(links)
          if (rand() < 0.5) hit(clickAt - between(150, 900), 'click', path, `${microsoft}.${octet()}`, OLD_CHROME, 'machine', 'Safe Links at click')
          hit(clickAt, 'click', path, home, CHROME, 'person', 'person after Safe Links')
        }
        break
      }
      case 'gateway': {
        // Proofpoint/Mimecast/Barracuda-like gateways with current browser User-Agents, always with the pixel.
        const slow = rand() < 0.3
        scan(pick(['148.163', '205.220', '185.58']) + `.${octet()}`, CHROME, true, slow ? 'gateway scan, throttled' : 'gateway scan', slow ? [1_500, 4_000] : [30, 400])
        if (rand() < 0.5) {
          hit(readAt, 'open', pixel, home, OUTLOOK, 'person', 'person: Outlook (gateway)')
          if (rand() < 0.6) personClicks(readAt, home, CHROME, 'person after a gateway scan')
        }
        break
      }
      case 'idle':
        break
    }
  }
  hits.sort((a, b) => a.time - b.time)
  // One hit a millisecond, so each stored event finds its planned hit by time.
  for (let i = 1; i < hits.length; i++) if (hits[i]!.time <= hits[i - 1]!.time) hits[i]!.time = hits[i - 1]!.time + 1
  return { hits, emails: options.recipients, scenarios }
}

/** Sends the plan's hits to the server in time order, setting the shared clock before each. */
export async function driveTraffic(plan: TrafficPlan, baseUrl: string, clock: SimulatedClock): Promise<void> {
  for (const hit of plan.hits) {
    clock.set(hit.time)
    const response = await fetch(baseUrl + hit.path, {
      method: hit.method,
      headers: { ...hit.headers, 'x-forwarded-for': hit.ip },
      redirect: 'manual',
    })
    await response.arrayBuffer()
    if (response.status !== 200 && response.status !== 302) throw new Error(`${hit.path} answered ${response.status}`)
  }
}

export interface LabelScore {
  precision: number
  recall: number
  machines: number
  flagged: number
}

export interface TrafficReport {
  hits: number
  opens: { verdicts: LabelScore; perHit: LabelScore }
  clicks: { verdicts: LabelScore; perHit: LabelScore }
  uniqueOpens: { truth: number; verdicts: number; perHit: number }
  uniqueClicks: { truth: number; verdicts: number; perHit: number }
}


/** Scores the stored events (matched to the plan by time) against the truth, with verdicts and with per-hit labels alone. */
export function scoreTraffic(plan: TrafficPlan, events: readonly TrackingEvent[]): TrafficReport {
  const byTime = new Map(plan.hits.map((hit) => [hit.time, hit]))
  const rows = events.map((event) => {
    const hit = byTime.get(event.time)
    if (hit === undefined) throw new Error(`event ${event.id} at ${event.time} matches no planned hit`)
    const perHit = event.labels[0]?.machine ?? event.machine
    return { hit, verdict: event.machine, perHit }
  })
  if (rows.length !== plan.hits.length) throw new Error(`${plan.hits.length} hits sent, ${rows.length} events stored`)
  const score = (kind: 'open' | 'click', flag: (row: (typeof rows)[number]) => boolean): LabelScore => {
    const ofKind = rows.filter((row) => row.hit.kind === kind)
    const machines = ofKind.filter((row) => row.hit.truth === 'machine').length
    const flagged = ofKind.filter(flag)
    const right = flagged.filter((row) => row.hit.truth === 'machine').length
    return { precision: flagged.length === 0 ? 1 : right / flagged.length, recall: machines === 0 ? 1 : right / machines, machines, flagged: flagged.length }
  }
  const unique = (kinds: readonly string[], human: (row: (typeof rows)[number]) => boolean): number =>
    new Set(rows.filter((row) => kinds.includes(row.hit.kind) && human(row)).map((row) => row.hit.email)).size
  const both = ['open', 'click']
  return {
    hits: rows.length,
    opens: { verdicts: score('open', (row) => row.verdict), perHit: score('open', (row) => row.perHit) },
    clicks: { verdicts: score('click', (row) => row.verdict), perHit: score('click', (row) => row.perHit) },
    uniqueOpens: {
      truth: unique(both, (row) => row.hit.truth === 'person'),
      verdicts: unique(both, (row) => !row.verdict),
      perHit: unique(both, (row) => !row.perHit),
    },
    uniqueClicks: {
      truth: unique(['click'], (row) => row.hit.truth === 'person'),
      verdicts: unique(['click'], (row) => !row.verdict),
      perHit: unique(['click'], (row) => !row.perHit),
    },
  }
}
