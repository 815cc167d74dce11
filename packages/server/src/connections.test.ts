import { existsSync } from 'node:fs'
import { get } from 'node:http'
import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { spawnServer } from '../test/child-server'
import { tempDir } from '../test/helpers'
import { connectionBounds } from './_internal/connection-limits'

const FILE_LIMIT = 256

/** GET /healthz from a given local address (127.0.0.0/8 is all this machine), resolving with the status. */
function health(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/healthz`, { localAddress, agent: false }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.once('error', reject)
  })
}

/** Opens `count` connections from `localAddress` that never send a byte; each resolves `closed` when the server closes it. */
async function silent(port: number, localAddress: string, count: number): Promise<{ sockets: Socket[]; closed: Promise<void>[] }> {
  const sockets: Socket[] = []
  const closed: Promise<void>[] = []
  const connected: Promise<void>[] = []
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: '127.0.0.1', port, localAddress })
    socket.on('error', () => undefined)
    connected.push(new Promise((resolve) => socket.once('connect', resolve).once('close', resolve)))
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())))
    sockets.push(socket)
  }
  await Promise.all(connected)
  return { sockets, closed }
}

describe.skipIf(process.platform !== 'linux' || !existsSync('/usr/bin/prlimit'))('connections that never send a byte', () => {
  it('are bounded per client and in total below the file limit, logged at the limit, and closed when idle', { timeout: 90_000 }, async () => {
    const { total, perClient } = connectionBounds(FILE_LIMIT)
    const dir = tempDir()
    const server = await spawnServer({ PYTRACK_DATA_DIR: dir.path, PYTRACK_KEYS: 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM=' }, { fileLimit: FILE_LIMIT })
    const port = Number(new URL(server.url).port)
    const opened: Socket[] = []
    try {
      // One client opens more than the whole file limit: it keeps perClient, the others still get answers.
      const greedy = await silent(port, '127.0.0.1', FILE_LIMIT + 50)
      opened.push(...greedy.sockets)
      const kept = await new Promise<number>((resolve) => {
        let refused = 0
        for (const closing of greedy.closed) {
          void closing.then(() => {
            if (++refused === FILE_LIMIT + 50 - perClient) resolve(FILE_LIMIT + 50 - refused)
          })
        }
      })
      expect(kept).toBe(perClient)
      expect(await health(server.url, '127.0.0.2')).toBe(200)
      expect(server.logs).toContainEqual(expect.objectContaining({ level: 40, clientIp: '127.0.0.1', limit: perClient, msg: 'a client is at its connection limit: refusing its new connections' }))

      // Many clients together reach the total: the server refuses more and says so, and does not run out of files.
      for (let address = 3; opened.length - (FILE_LIMIT + 50 - perClient) < total + 20; address++) {
        opened.push(...(await silent(port, `127.0.0.${address}`, perClient)).sockets)
      }
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (server.logs.some((entry) => entry.msg === 'the server is at its connection limit: refusing new connections')) resolve()
          else server.child.stdout?.once('data', () => setImmediate(check))
        }
        check()
      })
      expect(server.logs).toContainEqual(expect.objectContaining({ level: 40, limit: total }))

      // Silent connections are closed once idle, and the server answers again.
      await Promise.all(opened.map((socket) => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve)))))
      expect(await health(server.url, '127.0.0.2')).toBe(200)
      expect(server.child.exitCode).toBe(null)
    } finally {
      for (const socket of opened) socket.destroy()
      server.child.kill('SIGTERM')
      await server.exited
      dir.remove()
    }
  })
})
