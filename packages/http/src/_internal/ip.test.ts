import { BlockList, isIP } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clientIp } from './client-ip'
import { compileRanges, displayIp, parseIp, type RangeTest } from './ip'

describe('parseIp and compileRanges', () => {
  it('accepts exactly the addresses node:net accepts (property)', () => {
    const candidates = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.string({ maxLength: 20, unit: fc.constantFrom(...'0123456789abcdef:.%'.split('')) }),
    )
    fc.assert(
      fc.property(candidates, (text) => {
        expect(parseIp(text) !== undefined, text).toBe(isIP(text) !== 0)
      }),
      { numRuns: 3000 },
    )
  })

  it('matches CIDR ranges as node:net BlockList does (property)', () => {
    const families = [
      ['ipv4', fc.ipV4(), 32],
      ['ipv6', fc.ipV6(), 128],
    ] as const
    for (const [family, ip, maxBits] of families) {
      fc.assert(
        fc.property(ip, fc.integer({ min: 0, max: maxBits }), ip, (network, bits, address) => {
          const list = new BlockList()
          list.addSubnet(network, bits, family)
          const matches = compileRanges([`${network}/${bits}`]) as (address: string) => boolean
          expect(matches(address)).toBe(list.check(address, family))
        }),
        { numRuns: 2000 },
      )
    }
  })

  it('knows the loopback and private shortcuts, and IPv4-mapped IPv6', () => {
    const matches = compileRanges(['loopback', 'private']) as (address: string) => boolean
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '10.2.3.4', '172.31.0.1', '192.168.1.1', 'fd00::1', '::ffff:10.0.0.1']) {
      expect(matches(address), address).toBe(true)
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:db8::1', 'nope', '']) expect(matches(address), address).toBe(false)
    expect(compileRanges(['10.0.0.0/8', 'nope'])).toBe('nope')
    expect(displayIp('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(displayIp('2001:db8::1')).toBe('2001:db8::1')
  })
})

describe('clientIp', () => {
  const trusted = compileRanges(['loopback', '10.0.0.0/8']) as RangeTest

  it('never believes a forwarding header from an untrusted socket', () => {
    expect(clientIp('203.0.113.1', trusted, '1.2.3.4', 'x-forwarded-for')).toBe('203.0.113.1')
    expect(clientIp('127.0.0.1', undefined, '1.2.3.4', 'x-forwarded-for')).toBe('127.0.0.1')
    expect(clientIp(undefined, trusted, '1.2.3.4', 'x-forwarded-for')).toBeNull()
  })

  it('reads right to left across trusted hops only (property: the answer is never a hop left of an untrusted one)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.constantFrom('10.0.0.1', '127.0.0.1')), { minLength: 1, maxLength: 6 }), (hops) => {
        const ip = clientIp('127.0.0.1', trusted, hops.join(', '), 'x-forwarded-for')
        let expected = '127.0.0.1'
        for (let i = hops.length - 1; i >= 0; i--) {
          expected = hops[i] as string
          if (!trusted(expected)) break
        }
        expect(ip).toBe(expected)
      }),
    )
  })

  it('parses Forwarded (RFC 7239) with quotes, brackets and ports', () => {
    expect(clientIp('127.0.0.1', trusted, 'for=192.0.2.60;proto=http;by=203.0.113.43', 'forwarded')).toBe('192.0.2.60')
    expect(clientIp('127.0.0.1', trusted, 'for=192.0.2.43, for="[2001:db8:cafe::17]:4711"', 'forwarded')).toBe('2001:db8:cafe::17')
    expect(clientIp('127.0.0.1', trusted, 'For="192.0.2.9:80";proto=https', 'forwarded')).toBe('192.0.2.9')
    expect(clientIp('127.0.0.1', trusted, 'for=unknown', 'forwarded')).toBe('127.0.0.1')
  })
})
