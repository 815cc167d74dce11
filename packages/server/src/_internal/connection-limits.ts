import { readFileSync } from 'node:fs'
import { BlockList, isIP, type Socket } from 'node:net'
import type { Server } from 'node:http'
import type { Logger } from 'pino'

/** How long a connection may stay silent (no byte either way) before it is closed, in ms. */
export const IDLE_TIMEOUT_MS = 10_000

/** The soft limit of open files of this process (Linux: /proc/self/limits), or null when unknown. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((text) => text.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === undefined || !/^\d+$/.test(soft) ? null : Number(soft)
  } catch {
    return null
  }
}

/**
 * The connection bounds for a file limit: the total leaves room for the database, the log and
 * webhook requests (a quarter of the files, at most 128), and one client may hold a quarter of
 * the total (at most 256), so no client can starve the others.
 */
export function connectionBounds(fileLimit: number | null): { total: number; perClient: number } {
  const files = fileLimit ?? 65_536
  const total = Math.max(16, files - Math.min(128, Math.floor(files / 4)))
  return { total, perClient: Math.max(4, Math.min(256, Math.floor(total / 4))) }
}

const SHORTCUTS: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']],
  private: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4']],
  linklocal: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']],
  uniquelocal: [['fc00::', 7, 'ipv6']],
}

// Proxies carry many clients' connections: the per-client bound does not apply to them.
function proxyList(trustedProxies: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of trustedProxies) {
    const [address = '', bits] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (SHORTCUTS[entry] !== undefined) for (const [net, prefix, type] of SHORTCUTS[entry]) list.addSubnet(net, prefix, type)
    else if (isIP(address) !== 0 && bits !== undefined) list.addSubnet(address, Number(bits), family)
    else if (isIP(address) !== 0) list.addAddress(address, family)
  }
  return list
}

function isProxy(list: BlockList, address: string): boolean {
  const bare = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
  return list.check(bare, isIP(bare) === 6 ? 'ipv6' : 'ipv4')
}

/**
 * Bounds what connections can take: silent ones are closed after {@link IDLE_TIMEOUT_MS} (the
 * slow-client timeouts only start with a first byte), one client address holds at most
 * `perClient` at once, and the server as a whole stays below the file limit (`maxConnections`),
 * logging, at most once every 10 s, when it refuses connections at either bound.
 */
export function limitConnections(server: Server, logger: Logger, trustedProxies: readonly string[]): { total: number; perClient: number } {
  const bounds = connectionBounds(openFileLimit())
  server.maxConnections = bounds.total
  server.timeout = IDLE_TIMEOUT_MS
  const proxies = proxyList(trustedProxies)
  const open = new Map<string, number>()
  const lastWarning = new Map<string, number>()
  const warn = (kind: string, fields: object, message: string): void => {
    const now = Date.now()
    if (now - (lastWarning.get(kind) ?? 0) < 10_000) return
    lastWarning.set(kind, now)
    logger.warn(fields, message)
  }
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? ''
    if (isProxy(proxies, address)) return
    const count = (open.get(address) ?? 0) + 1
    if (count > bounds.perClient) {
      socket.destroy()
      warn('client', { clientIp: address, limit: bounds.perClient }, 'a client is at its connection limit: refusing its new connections')
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left === 0) open.delete(address)
      else open.set(address, left)
    })
  })
  server.on('drop', () => {
    warn('total', { limit: bounds.total, fileLimit: openFileLimit() }, 'the server is at its connection limit: refusing new connections')
  })
  return bounds
}
