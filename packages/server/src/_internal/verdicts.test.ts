import { describe, expect, it } from 'vitest'
import { VERDICT_WINDOW_MS, Verdicts, reclassifiedPayload, type VerdictHit } from './verdicts'

const T = Date.UTC(2026, 11, 3, 12)

function hit(overrides: Partial<VerdictHit> = {}): VerdictHit {
  return {
    kind: 'click',
    time: T,
    emailId: 'message_id="m-1"',
    clientIp: '198.51.100.7',
    destination: 'https://shop.example.com/a',
    label: 'human',
    machine: false,
    trap: false,
    issuedAt: null,
    ...overrides,
  }
}

/** Judges the hits in order and gives each one's label then, and every label at the end. */
function run(hits: Partial<VerdictHit>[]): { own: (string | null)[]; final: string[] } {
  const verdicts = new Verdicts()
  const judged = hits.map((each) => verdicts.judge(hit(each)))
  return { own: judged.map((judgement) => judgement.label), final: judged.map((judgement) => judgement.entry.label) }
}

describe('machine verdicts across the hits of one email', () => {
  it('tells links apart the same after an email has had more links than it numbers at once', () => {
    // 1,500 different links, one every 6 s (no burst, no sweep), then three within 5 s: a burst,
    // whose first link is one the window numbered again.
    const hits: Partial<VerdictHit>[] = Array.from({ length: 1_500 }, (_, i) => ({ time: T + i * 6_000, destination: `https://shop.example.com/${i}` }))
    const end = T + 1_500 * 6_000
    hits.push({ time: end, destination: 'https://shop.example.com/1499' }, { time: end + 2_000, destination: 'https://shop.example.com/x' }, { time: end + 4_000, destination: 'https://shop.example.com/y' })
    const { own, final } = run(hits)
    expect(own.slice(0, 1_500).every((label) => label === null)).toBe(true)
    expect(own.slice(-1)).toEqual(['burst'])
    expect(final.slice(-4)).toEqual(['human', 'burst', 'burst', 'burst'])
  })

  it('a trap click voids the clicks within 10 s around it, and the opens from its network', () => {
    const { own, final } = run([
      { kind: 'click', time: T - 11_000, destination: 'https://shop.example.com/early' },
      { kind: 'open', time: T - 1_000, destination: null, clientIp: '203.0.113.50' },
      { kind: 'open', time: T - 900, destination: null, clientIp: '198.51.100.200' },
      { kind: 'click', time: T - 2_000 + 1, destination: 'https://shop.example.com/a', clientIp: '192.0.2.1' },
      { kind: 'click', time: T, trap: true, destination: 'https://shop.example.com/' },
      { kind: 'click', time: T + 9_000, destination: 'https://shop.example.com/b', clientIp: '192.0.2.99' },
    ])
    expect(own).toEqual([null, null, null, null, 'trap', 'trap'])
    // 11 s before: a person's; an open from elsewhere: left alone; the open from the trap's /24 and the click 2 s before: the trap's.
    expect(final).toEqual(['human', 'human', 'trap', 'trap', 'trap', 'trap'])
  })

  it('three different links within 5 s, or two within 1 s, are a burst; a person opening two tabs 3 s apart is not', () => {
    expect(run([{ destination: 'https://x/1' }, { time: T + 2_000, destination: 'https://x/2' }, { time: T + 4_500, destination: 'https://x/3' }])).toEqual({
      own: [null, null, 'burst'],
      final: ['burst', 'burst', 'burst'],
    })
    expect(run([{ destination: 'https://x/1' }, { time: T + 800, destination: 'https://x/2' }]).final).toEqual(['burst', 'burst'])
    expect(run([{ destination: 'https://x/1' }, { time: T + 3_000, destination: 'https://x/2' }]).final).toEqual(['human', 'human'])
    // The same link twice is a person clicking again, not a burst.
    expect(run([{ destination: 'https://x/1' }, { time: T + 500, destination: 'https://x/1' }]).final).toEqual(['human', 'human'])
    // Three links over more than 5 s from different networks: no burst (from one network it is a sweep, below).
    expect(run([{ destination: 'https://x/1' }, { time: T + 3_000, destination: 'https://x/2', clientIp: '81.2.69.1' }, { time: T + 6_000, destination: 'https://x/3' }]).final).toEqual(['human', 'human', 'human'])
  })

  it('three different links from one network, each within 5 s of the one before, are a sweep, with the pixel fetched among them', () => {
    const net = (n: number): string => `148.163.10.${n}`
    expect(
      run([
        { kind: 'open', destination: null, clientIp: net(1) },
        { time: T + 3_000, destination: 'https://x/1', clientIp: net(2) },
        { time: T + 7_000, destination: 'https://x/2', clientIp: net(3) },
        { time: T + 11_000, destination: 'https://x/3', clientIp: net(4) },
      ]),
    ).toEqual({ own: [null, null, null, 'sweep'], final: ['sweep', 'sweep', 'sweep', 'sweep'] })
    // The same pace from three networks, or with a pause of more than 5 s: no sweep.
    expect(run([{ destination: 'https://x/1', clientIp: '81.2.69.1' }, { time: T + 4_000, destination: 'https://x/2', clientIp: '81.3.69.1' }, { time: T + 8_000, destination: 'https://x/3', clientIp: '81.4.69.1' }]).final).toEqual(['human', 'human', 'human'])
    expect(run([{ destination: 'https://x/1' }, { time: T + 4_000, destination: 'https://x/2' }, { time: T + 9_500, destination: 'https://x/3' }]).final).toEqual(['human', 'human', 'human'])
  })

  it('long after sending, three links in 5 s are a person opening tabs; two within a second are still a burst', () => {
    const issuedAt = T - 3_600_000
    const tabs = [{ destination: 'https://x/1', issuedAt }, { time: T + 2_000, destination: 'https://x/2', issuedAt }, { time: T + 4_000, destination: 'https://x/3', issuedAt }]
    expect(run(tabs).final).toEqual(['human', 'human', 'human'])
    // The same clicks in the ten minutes after sending: a gateway.
    expect(run(tabs.map((each) => ({ ...each, issuedAt: T - 60_000 }))).final).toEqual(['burst', 'burst', 'burst'])
    expect(run([{ destination: 'https://x/1', issuedAt }, { time: T + 700, destination: 'https://x/2', issuedAt }]).final).toEqual(['burst', 'burst'])
  })

  it('a click less than 2 s after its link was made is too soon; an unknown or later-made issue time is no signal', () => {
    expect(run([{ issuedAt: T - 1_500 }]).own).toEqual(['too-soon'])
    expect(run([{ issuedAt: T - 2_500 }]).own).toEqual([null])
    expect(run([{ issuedAt: T + 5_000 }]).own).toEqual([null])
    expect(run([{ issuedAt: null }]).own).toEqual([null])
  })

  it('an open and a click from one network within 2 s, in the minute after sending, are a delivery scan; later, a person reading', () => {
    const atDelivery = [
      { kind: 'open' as const, time: T + 10_000, destination: null, issuedAt: T, clientIp: '40.94.1.7' },
      { kind: 'click' as const, time: T + 11_500, issuedAt: T, clientIp: '40.94.1.9' },
    ]
    expect(run(atDelivery)).toEqual({ own: [null, 'delivery-scan'], final: ['delivery-scan', 'delivery-scan'] })
    // The same pair an hour after sending: a person opens and clicks at once.
    expect(run(atDelivery.map((each) => ({ ...each, time: each.time + 3_600_000 }))).final).toEqual(['human', 'human'])
    // From two networks: not together.
    expect(run([atDelivery[0]!, { ...atDelivery[1]!, clientIp: '81.2.69.1' }]).final).toEqual(['human', 'human'])
  })

  it('a click followed within 2 s by the same link from another network was a time-of-click scan before the reader', () => {
    expect(run([{ clientIp: '40.94.1.7' }, { time: T + 600, clientIp: '81.2.69.1' }]).final).toEqual(['click-time-scan', 'human'])
    expect(run([{ clientIp: '40.94.1.7' }, { time: T + 2_500, clientIp: '81.2.69.1' }]).final).toEqual(['human', 'human'])
    expect(run([{ clientIp: '81.2.69.1' }, { time: T + 600, clientIp: '81.2.69.9' }]).final).toEqual(['human', 'human'])
  })

  it('keeps per-hit machine labels, and tells each change once with the labels before it', () => {
    const verdicts = new Verdicts()
    const scanner = verdicts.judge(hit({ label: 'scanner', machine: true, destination: 'https://x/1' }))
    const person = verdicts.judge(hit({ time: T + 1_500, destination: 'https://x/2', clientIp: '81.2.69.1' }))
    const third = verdicts.judge(hit({ time: T + 3_000, destination: 'https://x/3' }))
    expect([scanner.entry.label, person.entry.label, third.label]).toEqual(['scanner', 'burst', 'burst'])
    expect(third.changes.map((change) => [change.previousLabel, change.label])).toEqual([['human', 'burst']])
    const again = verdicts.judge(hit({ time: T + 3_300, destination: 'https://x/4' }))
    expect(again.changes).toEqual([])
    person.entry.id = 7
    expect(JSON.parse(reclassifiedPayload('message_id="m-1"', 9, T + 3_000, third.changes))).toEqual({
      type: 'reclassified',
      email_id: 'message_id="m-1"',
      event_id: 9,
      timestamp: Math.floor((T + 3_000) / 1000),
      events: [{ id: 7, kind: 'click', time: T + 1_500, first_label: 'human', previous_label: 'human', label: 'burst', machine: true, reason: expect.stringContaining('within seconds') }],
    })
  })

  it('reconsiders only the recent window: older hits are forgotten, idle emails dropped, and one email holds at most 64 hits', () => {
    const verdicts = new Verdicts()
    verdicts.judge(hit({ destination: 'https://x/1' }))
    verdicts.judge(hit({ time: T + 500, destination: 'https://x/2' }))
    expect(verdicts.size).toBe(1)
    // Past the window, the email's hits are gone: a click now is judged alone.
    const later = verdicts.judge(hit({ time: T + VERDICT_WINDOW_MS + 1_000, destination: 'https://x/3' }))
    expect(later.changes).toEqual([])
    // Other emails' hits drop the idle ones, so memory follows the emails active in the window.
    for (let i = 0; i < 10; i++) verdicts.judge(hit({ emailId: `e-${i}`, time: T + 3 * VERDICT_WINDOW_MS + i }))
    expect(verdicts.size).toBe(10)
    for (let i = 0; i < 200; i++) verdicts.judge(hit({ emailId: 'flood', kind: 'open', destination: null, time: T + 3 * VERDICT_WINDOW_MS + 100 + i }))
    const flood = verdicts.judge(hit({ emailId: 'flood', time: T + 3 * VERDICT_WINDOW_MS + 400 }))
    expect(flood.entry).toBeDefined()
    expect(verdicts.hitsOf('flood')).toBe(64)
  })
})
