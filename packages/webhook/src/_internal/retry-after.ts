/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date. Returns milliseconds to wait
 * (0 for a date in the past), or null when absent or unreadable.
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | null {
  const header = Array.isArray(value) ? value[0] : value
  if (header === undefined) return null
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // RFC 9110 HTTP-date (IMF-fixdate, or the obsolete forms Date.parse also reads).
  if (!/[a-z]/i.test(text)) return null
  const at = Date.parse(text)
  if (Number.isNaN(at)) return null
  return Math.max(0, at - nowMs)
}
