import { describe, expect, it } from 'vitest'
import { classifyClient, type ClientSignals } from './index'

const BROWSER: ClientSignals = {
  method: 'GET',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'image/avif,image/webp,*/*',
  acceptLanguage: 'fr-FR',
  ip: '203.0.113.5',
}

describe('classifyClient', () => {
  it('labels each kind of client by the documented rules, first match winning', () => {
    const cases: [Partial<ClientSignals>, string, RegExp][] = [
      [{}, 'human', /no machine signal/],
      [{ method: 'HEAD' }, 'preview-bot', /HEAD/],
      [{ userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', acceptLanguage: null }, 'mail-proxy', /Gmail image proxy/],
      [{ userAgent: 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html' }, 'mail-proxy', /Yahoo/],
      [{ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0' }, 'scanner', /Gmail's delivery-time scan/],
      [{ userAgent: 'Barracuda Sentinel (EE)' }, 'scanner', /Barracuda.*unverified/],
      [{ userAgent: 'Mozilla/5.0 Proofpoint URL Defense' }, 'scanner', /Proofpoint/],
      [{ userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }, 'preview-bot', /preview bot/],
      [{ userAgent: 'facebookexternalhit/1.1' }, 'preview-bot', /preview bot/],
      [{ userAgent: 'curl/8.5.0' }, 'preview-bot', /HTTP library/],
      [{ userAgent: 'python-requests/2.31' }, 'preview-bot', /HTTP library/],
      [{ userAgent: null }, 'preview-bot', /no User-Agent/],
      [{ userAgent: '' }, 'preview-bot', /no User-Agent/],
      [{ accept: null, acceptLanguage: null }, 'scanner', /no Accept/],
      [{ accept: null }, 'human', /no machine signal/],
      [{ method: 'HEAD', userAgent: 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)' }, 'preview-bot', /HEAD/],
    ]
    for (const [signals, kind, reason] of cases) {
      const label = classifyClient({ ...BROWSER, ...signals })
      expect(label.kind, JSON.stringify(signals)).toBe(kind)
      expect(label.reason).toMatch(reason)
    }
  })

  it('uses the address ranges you give for Apple Mail Privacy Protection and scanners', () => {
    const options = { applePrivateRelayRanges: ['172.225.0.0/16', '2a02:26f7::/32'], scannerRanges: ['40.92.0.0/15'] }
    expect(classifyClient({ ...BROWSER, ip: '172.225.46.9' }, options).kind).toBe('privacy-prefetch')
    expect(classifyClient({ ...BROWSER, ip: '2a02:26f7:1:2::9' }, options).kind).toBe('privacy-prefetch')
    expect(classifyClient({ ...BROWSER, ip: '40.93.1.1' }, options).kind).toBe('scanner')
    expect(classifyClient({ ...BROWSER, ip: '40.94.1.1' }, options).kind).toBe('human')
    expect(classifyClient({ ...BROWSER, ip: null }, options).kind).toBe('human')
    // From JavaScript, a missing or non-string address is no address, not a crash.
    expect(classifyClient({ ...BROWSER, ip: undefined as never }, options).kind).toBe('human')
    expect(classifyClient({ ...BROWSER, ip: 7 as never }, options).kind).toBe('human')
    expect(classifyClient({ ...BROWSER, ip: 'not an ip' }, options).kind).toBe('human')
  })

  it('throws ConfigurationError for a range it cannot read', () => {
    expect(() => classifyClient(BROWSER, { scannerRanges: ['40.92.0.0/40'] })).toThrow(/scannerRanges entry "40.92.0.0\/40"/)
  })
})
