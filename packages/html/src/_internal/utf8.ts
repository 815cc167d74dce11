// Node's native counter when present (Node, Bun, Deno); a plain loop elsewhere.
const nativeByteLength = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer?.byteLength

/**
 * Whether `text` takes more than `limit` bytes in UTF-8. Counts only when it must: the size is
 * at least `text.length` (every UTF-16 unit is one byte or more) and at most three times that.
 */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  const length = text.length
  if (length > limit) return true
  if (length * 3 <= limit) return false
  return utf8ByteLength(text) > limit
}

/** How many bytes `text` takes in UTF-8. */
export function utf8ByteLength(text: string): number {
  if (nativeByteLength !== undefined) return nativeByteLength(text, 'utf8')
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A surrogate pair is two units and four bytes: two each.
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3
  }
  return bytes
}
