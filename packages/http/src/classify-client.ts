import { createClassifier } from './_internal/classifier'

/**
 * Who is asking, as the handler labels each hit (`requestData.client_kind`):
 * - `human`: no machine signal.
 * - `mail-proxy`: a mail provider's image proxy (Gmail, Yahoo). Usually a real open, fetched on the reader's behalf.
 * - `privacy-prefetch`: Apple Mail Privacy Protection fetching images whether or not the mail is read.
 * - `scanner`: a security scanner following links or loading images (Safe Links, Proofpoint, Gmail's delivery scan...).
 * - `preview-bot`: a `HEAD` request, a link-preview bot or an automated HTTP client.
 *
 * @example
 * ```ts
 * if (result.requestData?.client_kind === 'human') stats.humanOpens++
 * ```
 */
export type ClientKind = 'human' | 'mail-proxy' | 'privacy-prefetch' | 'scanner' | 'preview-bot'

/**
 * The label and the reason for it (which rule matched).
 *
 * @example
 * ```ts
 * const { kind, reason } = classifyClient(signals)
 * ```
 */
export interface ClientClassification {
  /** Who is asking: see {@link ClientKind}. */
  kind: ClientKind
  /** Which rule matched, in words for logs, such as `no machine signal`. */
  reason: string
}

/**
 * What the request tells about its client. Header values are as received; absent ones null.
 *
 * @example
 * ```ts
 * const signals: ClientSignals = { method: 'GET', userAgent: ua, accept: '*\/*', acceptLanguage: null, ip: '192.0.2.1' }
 * ```
 */
export interface ClientSignals {
  /** The HTTP method, such as `GET` or `HEAD`. */
  method: string
  /** The `User-Agent` header. */
  userAgent: string | null
  /** The `Accept` header. */
  accept: string | null
  /** The `Accept-Language` header. */
  acceptLanguage: string | null
  /** The client IP address (after trusted proxies). */
  ip: string | null
}

/**
 * Address lists for the rules that need them. They change over time, so they are data you
 * supply and refresh (nothing is fetched at run time): addresses, CIDR ranges or the
 * shortcuts `loopback`, `private`, `linklocal`, `uniquelocal`.
 *
 * @example
 * ```ts
 * const applePrivateRelayRanges = readFileSync('egress-ip-ranges.csv', 'utf8').split('\n').map((line) => line.split(',')[0]).filter(Boolean)
 * createTrackingHandler({ classification: { applePrivateRelayRanges } })
 * ```
 */
export interface ClassificationOptions {
  /**
   * iCloud Private Relay egress ranges (Apple publishes them as a CSV, see the README); hits
   * from them are labelled `privacy-prefetch` (Apple Mail Privacy Protection).
   */
  applePrivateRelayRanges?: readonly string[] | undefined
  /** Ranges of link scanners you have identified (Microsoft, Proofpoint, Mimecast...); labelled `scanner`. */
  scannerRanges?: readonly string[] | undefined
}

/**
 * Labels a request the way the tracking handler does: `human`, `mail-proxy`,
 * `privacy-prefetch`, `scanner` or `preview-bot`, with the reason. Rules are checked in
 * order; the first that matches wins. Labels are hints for you to weigh, never a reason to
 * drop a hit. For many calls, prefer the handler (it compiles the ranges once).
 *
 * @example
 * ```ts
 * classifyClient({
 *   method: 'GET',
 *   userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
 *   accept: '*\/*', acceptLanguage: null, ip: '66.249.84.1',
 * })
 * // { kind: 'mail-proxy', reason: 'Gmail image proxy (GoogleImageProxy User-Agent); ...' }
 * ```
 */
export function classifyClient(signals: ClientSignals, options?: ClassificationOptions): ClientClassification {
  const headers = { header: (name: string) => (name === 'accept' ? signals.accept : name === 'accept-language' ? signals.acceptLanguage : null) }
  // From JavaScript, anything but a string address is no address.
  const ip = typeof signals.ip === 'string' ? signals.ip : null
  return createClassifier(options)(signals.method, signals.userAgent, ip, headers)
}
