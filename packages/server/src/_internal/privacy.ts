import { isIPv4, isIPv6 } from 'node:net'
import type { RequestData } from '@pytrack/core'
import Bowser from 'bowser'
import type { AddressPolicy, UserAgentPolicy } from '../settings'

export interface PrivacyPolicy {
  address: AddressPolicy
  userAgent: UserAgentPolicy
}

/** IPv4 as `a.b.c.0`; IPv6 as its first three groups followed by `::`; IPv4-mapped IPv6 as IPv4. */
export function networkOf(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  const text = mapped?.[1] ?? address
  if (isIPv4(text)) return `${text.slice(0, text.lastIndexOf('.'))}.0`
  const bare = text.split('%')[0] ?? ''
  if (!isIPv6(bare)) return null
  const [head = '', tail] = bare.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':')
  // An embedded IPv4 tail (::1.2.3.4) holds two groups; it never reaches the first three unless the rest are zeros.
  const width = (parts: string[]): number => parts.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0)
  const zeros = tail === undefined ? 0 : 8 - width(headParts) - width(tailParts)
  const groups = [...headParts, ...Array<string>(zeros).fill('0'), ...tailParts]
  return `${groups
    .slice(0, 3)
    .map((group) => (group.includes('.') ? '0' : Number.parseInt(group, 16).toString(16)))
    .join(':')}::`
}

// Mail clients that browser parsers misname (Thunderbird reads as "Mozilla 5.0", Apple Mail as Safari).
const MAIL_CLIENTS: readonly [RegExp, string][] = [
  [/GoogleImageProxy/, 'GoogleImageProxy'],
  [/YahooMailProxy/, 'YahooMailProxy'],
  [/Microsoft Outlook (\d+)/, 'Outlook'],
  [/Thunderbird\/(\d+)/, 'Thunderbird'],
]

/** The `User-Agent`'s client family and major version, such as `Chrome 120` or `Outlook 16`; `other` when unknown. */
export function userAgentFamily(userAgent: string): string {
  for (const [pattern, name] of MAIL_CLIENTS) {
    const match = pattern.exec(userAgent)
    if (match) return match[1] === undefined ? name : `${name} ${match[1]}`
  }
  if (userAgent.trim() === '') return 'other'
  const browser = Bowser.parse(userAgent).browser
  if (!browser.name) return 'other'
  const major = browser.version?.split('.')[0]
  return major ? `${browser.name} ${major}` : browser.name
}

function addressUnder(policy: AddressPolicy, address: string | null): string | null {
  if (address === null || policy === 'full') return address
  return policy === 'none' ? null : networkOf(address)
}

function userAgentUnder(policy: UserAgentPolicy, userAgent: string | null): string | null {
  if (userAgent === null || policy === 'full') return userAgent
  return policy === 'none' ? null : userAgentFamily(userAgent)
}

function originOf(referer: string): string | null {
  try {
    const origin = new URL(referer).origin
    return origin === 'null' ? null : origin
  } catch {
    return null
  }
}

/**
 * The request data as the policy lets it be written: `user_ip` and `user_agent` cut down or
 * removed, a referer cut to its origin. Everything written (the event's columns, its request data, its webhook payload)
 * goes through this, so no full address reaches the database when the policy says otherwise.
 */
export function requestDataUnder(policy: PrivacyPolicy, data: RequestData | null): RequestData | null {
  if (data === null || (policy.address === 'full' && policy.userAgent === 'full')) return data
  const out: RequestData = { ...data }
  const ip = typeof data.user_ip === 'string' ? data.user_ip : null
  const agent = typeof data.user_agent === 'string' ? data.user_agent : null
  if (policy.address === 'none') delete out.user_ip
  else if (ip !== null) out.user_ip = addressUnder(policy.address, ip)
  if (policy.userAgent === 'none') delete out.user_agent
  else if (agent !== null) out.user_agent = userAgentUnder(policy.userAgent, agent)
  // A webmail referer's path can name the mailbox: keep its origin only.
  if (typeof data.referer === 'string') out.referer = originOf(data.referer)
  return out
}
