// URL-safe base64 for ASCII strings. Uses Buffer where it exists (Node, Bun, Deno's
// node-compat) because it is several times faster, and atob/btoa elsewhere.

interface BufferLike {
  toString(encoding: string): string
  readonly length: number
  [index: number]: number
}
interface BufferStatic {
  from(input: string, encoding: string): BufferLike
}
const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer

const PADDING = ['', '==', '='] as const

/** URL-safe base64 with `=` padding of an ASCII (Latin-1) string, as Python's urlsafe_b64encode. */
export function base64UrlEncodeAscii(text: string): string {
  if (NodeBuffer) {
    return NodeBuffer.from(text, 'latin1').toString('base64url') + PADDING[text.length % 3]
  }
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_')
}

// Either alphabet (Python's decoder accepts both), optional padding.
const TOKEN = /^[A-Za-z0-9_\-+/]*={0,2}$/

/**
 * Decodes URL-safe (or standard) base64, with or without padding, into a string of the
 * decoded bytes taken as UTF-8. Returns undefined for anything that is not base64 or UTF-8.
 */
export function base64UrlDecodeUtf8(token: string): string | undefined {
  if (!TOKEN.test(token)) return undefined
  const end = token.indexOf('=')
  const body = end === -1 ? token : token.slice(0, end)
  if (body.length % 4 === 1) return undefined
  if (end !== -1 && (body.length + (token.length - end)) % 4 !== 0) return undefined
  let bytes: ArrayLike<number>
  if (NodeBuffer) {
    const buffer = NodeBuffer.from(body, 'base64')
    let ascii = true
    for (let i = 0; i < buffer.length; i++) {
      if ((buffer[i] as number) > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) return buffer.toString('latin1')
    bytes = buffer
  } else {
    const binary = atob(body.replace(/-/g, '+').replace(/_/g, '/'))
    const array = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) array[i] = binary.charCodeAt(i)
    bytes = array
  }
  return decodeUtf8(bytes)
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Strict UTF-8 decoding (like Python's bytes.decode('utf-8')); undefined on bad bytes. */
export function decodeUtf8(bytes: ArrayLike<number>): string | undefined {
  try {
    return utf8.decode(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes))
  } catch {
    return undefined
  }
}
