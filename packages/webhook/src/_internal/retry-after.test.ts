import { describe, expect, it } from 'vitest'
import { retryAfterMs } from './retry-after'

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000)
    expect(retryAfterMs(' 0 ', now)).toBe(0)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(retryAfterMs(['5', '9'], now)).toBe(5_000)
    expect(retryAfterMs('Thursday, 01-Jan-26 00:01:00 GMT', now)).toBe(60_000)
    expect(retryAfterMs('Thu Jan  1 00:00:10 2026', now)).toBe(10_000)
  })

  it('waits nothing for a date in the past', () => {
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0)
  })

  it('ignores what it cannot read, so the backoff applies', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', '12abc', 'Thu, 01 Jan 2026 00:00:30', 'tomorrow 1 GMT']) expect(retryAfterMs(value, now)).toBeNull()
  })
})
