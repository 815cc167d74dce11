// IP address parsing and CIDR matching without node:net, so the Web-standard handler runs on
// any runtime. Addresses are 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function parseIpv4(text: string, out: Uint8Array, offset: number): boolean {
  const match = IPV4.exec(text)
  if (!match) return false
  for (let i = 0; i < 4; i++) {
    const part = match[i + 1] as string
    // Leading zeros are refused: some parsers read them as octal.
    if (part.length > 1 && part.charCodeAt(0) === 0x30) return false
    const value = Number(part)
    if (value > 255) return false
    out[offset + i] = value
  }
  return true
}

function parseIpv6(text: string, out: Uint8Array): boolean {
  const percent = text.indexOf('%')
  if (percent !== -1) {
    // A zone id (fe80::1%eth0), with the characters node:net accepts.
    if (!/^[0-9a-zA-Z.:-]+$/.test(text.slice(percent + 1))) return false
    text = text.slice(0, percent)
  }
  if (text.length < 2 || text.length > 45) return false
  const double = text.indexOf('::')
  if (double !== -1 && text.indexOf('::', double + 1) !== -1) return false
  const head = double === -1 ? text : text.slice(0, double)
  const tail = double === -1 ? '' : text.slice(double + 2)
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === '' ? [] : tail.split(':')
  const groups: number[] = []
  const parts = [...headParts, ...tailParts]
  let v4: string | undefined
  const last = parts[parts.length - 1]
  if (last !== undefined && last.includes('.')) {
    if (!text.endsWith(last)) return false
    v4 = last
    if (tailParts.length > 0) tailParts.pop()
    else headParts.pop()
  }
  const needed = v4 === undefined ? 8 : 6
  const given = headParts.length + tailParts.length
  if (double === -1 ? given !== needed : given >= needed) return false
  for (const part of headParts) groups.push(hex(part))
  for (let i = given; i < needed; i++) groups.push(0)
  for (const part of tailParts) groups.push(hex(part))
  for (let i = 0; i < needed; i++) {
    const group = groups[i] as number
    if (group < 0) return false
    out[i * 2] = group >> 8
    out[i * 2 + 1] = group & 0xff
  }
  return v4 === undefined || parseIpv4(v4, out, 12)
}

function hex(part: string): number {
  return /^[0-9a-fA-F]{1,4}$/.test(part) ? Number.parseInt(part, 16) : -1
}

/** Parses an IPv4 or IPv6 address into 16 bytes (IPv4 mapped), or undefined. */
export function parseIp(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16)
  if (text.includes(':')) return parseIpv6(text, out) ? out : undefined
  if (!parseIpv4(text, out, 12)) return undefined
  out[10] = 0xff
  out[11] = 0xff
  return out
}

/** The address as users expect to read it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes `1.2.3.4`. */
export function displayIp(text: string): string {
  if (text.length > 7 && text.charCodeAt(0) === 0x3a && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(text)) return text.slice(7)
  return text
}

interface Range {
  bytes: Uint8Array
  bits: number
}

const SHORTCUTS: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['fc00::/7'],
}

function parseRange(entry: string): Range | undefined {
  const slash = entry.indexOf('/')
  const address = slash === -1 ? entry : entry.slice(0, slash)
  const bytes = parseIp(address)
  if (!bytes) return undefined
  const isV4 = !address.includes(':')
  const max = isV4 ? 32 : 128
  let bits = max
  if (slash !== -1) {
    const text = entry.slice(slash + 1)
    if (!/^\d{1,3}$/.test(text)) return undefined
    bits = Number(text)
    if (bits > max) return undefined
  }
  return { bytes, bits: isV4 ? bits + 96 : bits }
}

/** Whether an address (text, or bytes from {@link parseIp} so it is not parsed again) is in the ranges. */
export type RangeTest = (address: string | Uint8Array) => boolean

/**
 * Compiles addresses, CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`) and the shortcuts
 * `loopback`, `private`, `linklocal`, `uniquelocal` into a test function. Returns the
 * entry it could not read as a string instead, so callers can explain the mistake.
 */
export function compileRanges(entries: readonly string[]): RangeTest | string {
  const ranges: Range[] = []
  for (const entry of entries) {
    if (typeof entry !== 'string') return String(entry)
    const shortcut = SHORTCUTS[entry.trim().toLowerCase()]
    for (const item of shortcut ?? [entry.trim()]) {
      const range = parseRange(item)
      if (!range) return entry
      ranges.push(range)
    }
  }
  return (address) => {
    const bytes = typeof address === 'string' ? parseIp(address) : address
    if (!bytes) return false
    for (const range of ranges) if (inRange(bytes, range)) return true
    return false
  }
}

function inRange(bytes: Uint8Array, range: Range): boolean {
  const whole = range.bits >> 3
  for (let i = 0; i < whole; i++) if (bytes[i] !== range.bytes[i]) return false
  const rest = range.bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((bytes[whole] as number) & mask) === ((range.bytes[whole] as number) & mask)
}
