import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'

// Core tells ASCII payloads apart with Buffer where it exists and with a regex elsewhere
// (Workers, browsers): both must decode exactly the same tokens the same way.
async function withoutBuffer(): Promise<Base64> {
  vi.resetModules()
  const saved = globalThis.Buffer
  // @ts-expect-error: a runtime without Buffer, for this import only
  delete globalThis.Buffer
  try {
    return await import('./_internal/base64')
  } finally {
    globalThis.Buffer = saved
    vi.resetModules()
  }
}

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url')

type Base64 = typeof import('./_internal/base64')

describe('base64 decoding with and without Buffer', () => {
  it('agrees on ASCII, UTF-8, invalid UTF-8 and non-base64 input', async () => {
    const node = await import('./_internal/base64')
    const web = await withoutBuffer()
    const tokens = [
      b64('{"a": 1}'), b64('{"a": "é 😀"}'), b64(new Uint8Array([0x7b, 0xff, 0x7d])), b64(new Uint8Array([0xc3])),
      b64('\u0000\u007f'), b64(new Uint8Array([0x80])), '!!!!', '', 'e30',
    ]
    for (const token of tokens) expect(web.base64UrlDecodeUtf8(token), token).toBe(node.base64UrlDecodeUtf8(token))
    expect(node.base64UrlDecodeUtf8(b64('{"a": "é 😀"}'))).toBe('{"a": "é 😀"}')
    expect(node.base64UrlDecodeUtf8(b64(new Uint8Array([0xff])))).toBeUndefined()
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array().map(b64), fc.string({ unit: 'binary' }).map(b64)), (token) => {
        expect(web.base64UrlDecodeUtf8(token)).toBe(node.base64UrlDecodeUtf8(token))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('the alphabet swap', () => {
  it('replaces every occurrence, below and past the sliced swaps', async () => {
    const { swapped } = await import('./_internal/base64')
    const text = fc.string({ unit: fc.constantFrom('-', '_', 'a', 'Z', '0'), maxLength: 80 })
    fc.assert(
      fc.property(text, (t) => {
        expect(swapped(t, '-', '+', /-/g)).toBe(t.replaceAll('-', '+'))
        expect(swapped(t, '_', '/', /_/g)).toBe(t.replaceAll('_', '/'))
      }),
      { numRuns: 2000 },
    )
    for (const n of [0, 1, 7, 8, 9, 20]) expect(swapped(`x${'_'.repeat(n)}y`, '_', '/', /_/g)).toBe(`x${'/'.repeat(n)}y`)
  })
})
