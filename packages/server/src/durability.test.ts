import { describe, expect, it } from 'vitest'
import { Configuration, getClickTrackingUrl, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { spawnServer } from '../test/child-server'
import { BROWSER, TOKEN, tempDir } from '../test/helpers'
import { createWatch } from '../../../test-utils/wait'

const KEY = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
const WORKERS = 32

describe('durability: kill -9 under load', () => {
  it('keeps the event of every pixel and redirect that was answered, and shuts down cleanly on SIGTERM', async () => {
    const dir = tempDir()
    const env = { PYTRACK_DATA_DIR: dir.path, PYTRACK_KEYS: KEY, PYTRACK_API_TOKEN: TOKEN }
    try {
      const first = await spawnServer(env)
      const configuration = new Configuration({
        baseOpenTrackingUrl: `${first.url}/open/`,
        baseClickTrackingUrl: `${first.url}/click/`,
        codec: fernetCodec(KEY),
      })
      const answered = new Set<string>()
      const watch = createWatch()
      let next = 0
      let killed = false
      const worker = async (): Promise<void> => {
        while (!killed) {
          const id = `kill-${next++}`
          const link =
            next % 2 === 0
              ? getOpenTrackingUrl({ message_id: id }, { configuration })
              : getClickTrackingUrl('https://www.example.com/', { message_id: id }, { configuration })
          try {
            const response = await fetch(link, { headers: BROWSER, redirect: 'manual' })
            await response.arrayBuffer()
            if (response.status === 200 || response.status === 302) {
              answered.add(id)
              watch.notify()
            }
          } catch {
            // The server is gone: requests in flight fail, which is the point.
          }
        }
      }
      const workers = Array.from({ length: WORKERS }, worker)
      // Kill in the middle of the load, with requests in flight.
      await watch.until(() => answered.size >= 400)
      first.child.kill('SIGKILL')
      const { signal } = await first.exited
      killed = true
      await Promise.all(workers)
      expect(signal).toBe('SIGKILL')

      const second = await spawnServer(env)
      const stored = new Set<string>()
      let cursor = ''
      for (;;) {
        const response = await fetch(`${second.url}/api/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
        const page = (await response.json()) as { events: { metadata: { message_id: string } }[]; nextCursor: string; hasMore: boolean }
        for (const event of page.events) stored.add(event.metadata.message_id)
        cursor = page.nextCursor
        if (!page.hasMore) break
      }
      const missing = [...answered].filter((id) => !stored.has(id))
      expect(missing).toEqual([])
      expect(stored.size).toBeGreaterThanOrEqual(answered.size)

      second.child.kill('SIGTERM')
      expect(await second.exited).toEqual({ code: 0, signal: null })
      expect(second.logs.map((entry) => entry.msg)).toContain('pytrack server stopped')
    } finally {
      dir.remove()
    }
  }, 60_000)
})
