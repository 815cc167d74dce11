import { decodeHTMLAttribute } from 'entities'

/**
 * The URL a browser follows for an attribute value: entities decoded once, leading and
 * trailing C0 controls and spaces removed, tabs and newlines inside removed (the URL
 * standard's preprocessing).
 */
export function hrefToUrl(decoded: string): string {
  let start = 0
  let end = decoded.length
  while (start < end && decoded.charCodeAt(start) <= 0x20) start++
  while (end > start && decoded.charCodeAt(end - 1) <= 0x20) end--
  const trimmed = start === 0 && end === decoded.length ? decoded : decoded.slice(start, end)
  return /[\t\n\r]/.test(trimmed) ? trimmed.replace(/[\t\n\r]/g, '') : trimmed
}

/** Decodes character references in an attribute value, with the HTML attribute rules. */
export function decodeAttribute(raw: string): string {
  return raw.includes('&') ? decodeHTMLAttribute(raw) : raw
}

const ENCODED_PLACEHOLDER = /%7B%7B|%7B%25/i

/**
 * Holds a merge tag or template placeholder that personalisation has not replaced yet: `{{`,
 * `{%`, `[[`, `*|...|*`, `%%...%%`, or percent-encoded `{{`/`{%`. With `indexOf`, not a
 * backtracking pattern, so a hostile href stays linear.
 */
export function hasPlaceholder(url: string): boolean {
  if (url.includes('{{') || url.includes('{%') || url.includes('[[')) return true
  const star = url.indexOf('*|')
  if (star !== -1 && url.includes('|*', star + 2)) return true
  const percent = url.indexOf('%%')
  if (percent !== -1 && url.includes('%%', percent + 3)) return true
  return url.includes('%') && ENCODED_PLACEHOLDER.test(url)
}

/**
 * The host of an http(s) or protocol-relative URL, lower-cased and in ASCII (punycode), without
 * the final dot of a fully qualified name (`example.com.` is `example.com`), or null.
 */
export function hostOf(url: string): string | null {
  let host: string
  try {
    host = new URL(url.startsWith('//') ? `https:${url}` : url).hostname
  } catch {
    return null
  }
  return host.endsWith('.') ? host.slice(0, -1) : host
}

/** Normalises a domain list entry (`Example.COM`, `.example.com`, `*.example.com`, `例え.jp`). */
export function normaliseDomain(entry: string): string | null {
  const bare = entry.trim().replace(/^\*?\./, '').replace(/\.$/, '')
  if (bare === '' || /[/?#@:\s]/.test(bare)) return null
  return hostOf(`https://${bare}/`)
}

/** True when `host` is one of `domains` or a subdomain of one. */
export function matchesDomain(host: string, domains: readonly string[]): boolean {
  for (const domain of domains) {
    if (host === domain || (host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e)) {
      return true
    }
  }
  return false
}

/** Escapes a value for an attribute: `&`, both quotes, `<` and `>` (so it is also safe inside a comment). */
export function escapeAttributeValue(value: string): string {
  return /[&"'<>]/.test(value)
    ? value.replace(/[&"'<>]/g, (c) => (c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === "'" ? '&#39;' : c === '<' ? '&lt;' : '&gt;'))
    : value
}
