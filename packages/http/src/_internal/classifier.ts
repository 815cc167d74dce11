import { ConfigurationError } from '@pytrack/core'
import type { ClassificationOptions, ClientClassification, ClientKind } from '../classify-client'
import { compileRanges, parseIp, type RangeTest } from './ip'

/** Where the classifier reads the headers it needs only for some requests (Accept, Accept-Language). */
export interface HeaderSource {
  header(name: string): string | null
}

/** Positional, and Accept headers read only when a rule needs them: no object per hit. */
export type Classifier = (method: string, userAgent: string | null, ip: string | null, headers: HeaderSource) => ClientClassification

// Each rule's source is in the README ("Classification rules"). Frozen results: no allocation per hit.
const HEAD = rule('preview-bot', 'HEAD request: link checkers and previews ask for headers only')
const APPLE = rule('privacy-prefetch', 'address in the iCloud Private Relay ranges given (Apple Mail Privacy Protection)')
const GMAIL_PROXY = rule('mail-proxy', 'Gmail image proxy (GoogleImageProxy User-Agent); usually a real open, cached by Google')
const YAHOO_PROXY = rule('mail-proxy', 'Yahoo Mail image proxy (YahooMailProxy User-Agent)')
const GMAIL_SCAN = rule('scanner', "Gmail's delivery-time scan (Chrome/42 Edge/12.246 User-Agent)")
const SCANNER_RANGE = rule('scanner', 'address in the scanner ranges given')
const PREVIEW_UA = rule('preview-bot', 'User-Agent of a link-preview bot, crawler or HTTP library')
const NO_UA = rule('preview-bot', 'no User-Agent header')
const NO_ACCEPT = rule('scanner', 'no Accept and no Accept-Language header (heuristic: browsers and mail apps send them)')
const HUMAN = rule('human', 'no machine signal')

// One test for the common case (none of them), then which one.
const ANY_SCANNER_NAME = /barracuda|proofpoint|mimecast/i
const SCANNER_NAMES: readonly (readonly [RegExp, ClientClassification])[] = [
  [/barracuda/i, rule('scanner', 'User-Agent names Barracuda (heuristic: unverified string)')],
  [/proofpoint/i, rule('scanner', 'User-Agent names Proofpoint (heuristic: unverified string)')],
  [/mimecast/i, rule('scanner', 'User-Agent names Mimecast (heuristic: unverified string)')],
]
const PREVIEW_BOTS =
  /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|embedly|skypeuripreview|whatsapp|^curl\/|^wget\/|python-requests|python-urllib|aiohttp|go-http-client|^java\/|okhttp|libwww-perl|httpclient|^axios\//i

function rule(kind: ClientKind, reason: string): ClientClassification {
  return Object.freeze({ kind, reason })
}

function ranges(name: string, value: readonly string[] | undefined): RangeTest | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new ConfigurationError(`classification.${name} must be an array of addresses or CIDR ranges`, { setting: 'classification' })
  const compiled = compileRanges(value)
  if (typeof compiled === 'string') {
    throw new ConfigurationError(`classification.${name} entry "${compiled}" is not an IP address or CIDR range such as 17.0.0.0/8`, { setting: 'classification' })
  }
  return compiled
}

/** Builds the classifier once (compiling the address ranges). */
export function createClassifier(options: ClassificationOptions = {}): Classifier {
  const isApple = ranges('applePrivateRelayRanges', options.applePrivateRelayRanges)
  const isScanner = ranges('scannerRanges', options.scannerRanges)
  return (method, ua, ip, headers) => {
    if (method === 'HEAD') return HEAD
    if (ip !== null && (isApple || isScanner)) {
      const bytes = parseIp(ip) // once for both lists
      if (bytes && isApple?.(bytes)) return APPLE
      if (bytes && isScanner?.(bytes)) return SCANNER_RANGE
    }
    if (ua) {
      if (ua.includes('GoogleImageProxy')) return GMAIL_PROXY
      if (ua.includes('YahooMailProxy')) return YAHOO_PROXY
      if (ua.includes('Chrome/42.0.2311.135') && ua.includes('Edge/12.246')) return GMAIL_SCAN
      if (ANY_SCANNER_NAME.test(ua)) for (const [pattern, result] of SCANNER_NAMES) if (pattern.test(ua)) return result
      if (PREVIEW_BOTS.test(ua)) return PREVIEW_UA
    } else {
      return NO_UA
    }
    if (!headers.header('accept') && !headers.header('accept-language')) return NO_ACCEPT
    return HUMAN
  }
}

