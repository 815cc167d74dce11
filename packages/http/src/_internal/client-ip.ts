import { displayIp, parseIp, type RangeTest } from './ip'

/**
 * Which header trusted proxies write the client chain to.
 *
 * @example
 * ```ts
 * createTrackingHandler({ trustedProxies: ['loopback'], forwardedHeader: 'forwarded' })
 * ```
 */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded'

// One hop of X-Forwarded-For or of Forwarded's for= parameter, without port, quotes or brackets.
function cleanHop(hop: string): string {
  let value = hop.trim()
  if (value.length > 1 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
    value = value.slice(1, -1)
  }
  if (value.charCodeAt(0) === 0x5b) {
    const end = value.indexOf(']')
    return end === -1 ? value : value.slice(1, end)
  }
  const colon = value.indexOf(':')
  // One colon: IPv4 with a port. More: a bare IPv6 address.
  if (colon !== -1 && value.indexOf(':', colon + 1) === -1) return value.slice(0, colon)
  return value
}

function hopsOf(header: string, kind: ForwardedHeader): string[] {
  if (kind === 'x-forwarded-for') return header.split(',').map(cleanHop)
  const hops: string[] = []
  for (const element of header.split(',')) {
    let found = ''
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=')
      if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'for') found = cleanHop(pair.slice(eq + 1))
    }
    hops.push(found)
  }
  return hops
}

/**
 * The client address: the socket's, unless the socket belongs to a trusted proxy; then the
 * forwarding header is read right to left, each hop trusted only if the one after it was.
 * A hop that is not an IP address stops the walk at the last address known to be good.
 */
export function clientIp(
  socketAddress: string | null | undefined,
  isTrusted: RangeTest | undefined,
  header: string | null,
  kind: ForwardedHeader,
): string | null {
  if (!socketAddress) return null
  let address = displayIp(socketAddress)
  if (!isTrusted || !header || !isTrusted(address)) return address
  const hops = hopsOf(header, kind)
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string
    const bytes = parseIp(hop)
    if (!bytes) return address
    address = displayIp(hop)
    // displayIp only drops the ::ffff: of a mapped IPv4, which parses to the same bytes.
    if (!isTrusted(bytes)) return address
  }
  return address
}
