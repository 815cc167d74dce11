import { describe, expect, it } from 'vitest'
import { Fernet, fernetCodec, signedCodec } from '@pytrack/crypto'
import { issuedAtOf, tokenOfTarget } from './issued-at'

describe('the time a link was made', () => {
  it("reads a Fernet token's own timestamp, a signed link's .t field, and nothing from a plain link", () => {
    const key = Fernet.generateKey()
    for (const seconds of [0, 1_767_225_600, 4_102_444_800]) {
      expect(issuedAtOf(fernetCodec(key, { clock: () => seconds }).seal('{}'), 'fernet', {})).toBe(seconds * 1000)
    }
    const signed = signedCodec({ id: '2026', secret: 'a-secret-of-enough-length-0123456789' }, { maxAgeSeconds: 3600, clock: () => 1_767_225_600 }).seal('{}')
    expect(issuedAtOf(signed, 'signed', {})).toBe(1_767_225_600_000)
    expect(issuedAtOf('eyJhIjogMX0=', 'base64', {})).toBeNull()
    // Not a Fernet token (wrong version byte, a character outside base64): no time rather than a wrong one.
    expect(issuedAtOf('AAAAAAAAAAAAAAAA', 'fernet', {})).toBeNull()
    expect(issuedAtOf('gAAAAA*AAAAAAAAA', 'fernet', {})).toBeNull()
    expect(issuedAtOf('gAAA', 'fernet', {})).toBeNull()
  })

  it('takes sent_at from the metadata for any codec: seconds, milliseconds or an ISO 8601 date', () => {
    expect(issuedAtOf('x', 'base64', { sent_at: 1_767_225_600 })).toBe(1_767_225_600_000)
    expect(issuedAtOf('x', 'base64', { sent_at: 1_767_225_600_123 })).toBe(1_767_225_600_123)
    expect(issuedAtOf('x', 'base64', { sent_at: '2026-01-01T00:00:00Z' })).toBe(Date.UTC(2026, 0, 1))
    expect(issuedAtOf('x', 'base64', { sent_at: 'soon' })).toBeNull()
    expect(issuedAtOf('x', 'base64', { sent_at: -5 })).toBeNull()
  })

  it('finds the token in a request target, with or without a query or trailing slash', () => {
    expect(tokenOfTarget('/open/abc')).toBe('abc')
    expect(tokenOfTarget('/t/click/abc/?utm=1')).toBe('abc')
    expect(tokenOfTarget('http://127.0.0.1:8080/open/abc')).toBe('abc')
  })
})
