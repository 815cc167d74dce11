// The per-key HMAC and CBC decryption that open tokens without a crypto object per token,
// against node:crypto's own createHmac and AES-128-CBC Decipheriv, on every path: one-shot
// hashes or createHmac, the ECB block decipher or a Decipheriv per token.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decrypterFor, signerFor } from './fernet-token'

const cbcDecrypt = (key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer => {
  const decipher = createDecipheriv('aes-128-cbc', key, iv)
  decipher.setAutoPadding(false)
  return decipher.update(ciphertext)
}

describe('signerFor', () => {
  it('signs and verifies HMAC-SHA256 for any key and message, with crypto.hash and without it, called again and again', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 6 }), (key, messages) => {
        const bytes = Buffer.from(key)
        for (const signer of [signerFor(bytes), signerFor(bytes, undefined)]) {
          // Messages of growing and shrinking lengths through one signer: nothing of an earlier one leaks in.
          for (const message of messages) {
            const mac = createHmac('sha256', bytes).update(message).digest()
            expect(signer.sign(message).equals(mac)).toBe(true)
            expect(signer.verify(message, mac)).toBe(true)
            const altered = Buffer.from(mac)
            altered[31] = (altered[31] as number) ^ 1
            expect(signer.verify(message, altered)).toBe(false)
            expect(signer.verify(message, mac.subarray(0, 31))).toBe(false)
          }
        }
      }),
      { numRuns: 60 },
    )
  })

  it('returns a fresh tag each time, so a caller may keep it', () => {
    const { sign } = signerFor(randomBytes(16))
    const first = sign(Buffer.from('a'))
    const copy = Buffer.from(first)
    sign(Buffer.from('b'))
    expect(first.equals(copy)).toBe(true)
  })
})

describe('decrypterFor', () => {
  it('is AES-128-CBC decryption for any key, IV and whole blocks, with the block decipher and without it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 5 }),
        (key, tokens) => {
          const bytes = Buffer.from(key)
          for (const decrypt of [decrypterFor(bytes), decrypterFor(bytes, () => null)]) {
            for (const [iv, blocks] of tokens) {
              const ciphertext = randomBytes(16 * blocks)
              expect(decrypt(iv, ciphertext).equals(cbcDecrypt(bytes, iv, ciphertext))).toBe(true)
            }
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('gives back what AES-128-CBC encrypted, and leaves the ciphertext as it was', () => {
    const key = randomBytes(16)
    const iv = randomBytes(16)
    const plaintext = Buffer.from('{"url": "https://www.example.com/", "metadata": {"customer_id": 1}}')
    const cipher = createCipheriv('aes-128-cbc', key, iv)
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
    const before = Buffer.from(ciphertext)
    const decrypt = decrypterFor(key)
    const padded = decrypt(iv, ciphertext)
    expect(padded.subarray(0, plaintext.length).equals(plaintext)).toBe(true)
    expect(ciphertext.equals(before)).toBe(true)
    // A later decryption leaves an earlier plaintext as it was.
    const kept = Buffer.from(padded)
    decrypt(randomBytes(16), randomBytes(32))
    expect(padded.equals(kept)).toBe(true)
  })

  it('falls back to a Decipheriv per token when the block decipher holds a block back', () => {
    const key = randomBytes(16)
    // A block decipher that keeps the last block for later, as a padding-on decipher would.
    const holding = (k: Buffer) => createDecipheriv('aes-128-ecb', k, null)
    const decrypt = decrypterFor(key, holding)
    const iv = randomBytes(16)
    for (const blocks of [2, 3, 1]) {
      const ciphertext = randomBytes(16 * blocks)
      expect(decrypt(iv, ciphertext).equals(cbcDecrypt(key, iv, ciphertext))).toBe(true)
    }
  })
})
