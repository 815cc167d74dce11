// `pytrack serve --workers 2` as a real process tree, on whichever store `env` selects: the
// workers share the port (and the store); hits spread over both; a worker killed -9 under load is
// replaced; every answered hit is stored once; SIGTERM drains every worker and the supervisor
// exits 0. Run by the SQLite test here and the PostgreSQL one in @pytrack/store-postgres.
import { execFileSync } from 'node:child_process'
import { expect } from 'vitest'
import { Configuration, getClickTrackingUrl, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { createWatch } from '#test-utils/wait'
import { spawnServer } from './child-server'
import { BROWSER, TOKEN } from './helpers'

export const WORKERS_KEY = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='

/** The supervisor's worker processes (tsx's esbuild service is a child too: left out). */
function workerPids(parent: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter((line) => line.includes(' serve') && !line.includes('esbuild'))
    .map((line) => Number.parseInt(line.trim(), 10))
    .filter((pid) => pid > 0)
}

/** The processes holding established connections on `port` (the server side), from `ss`. */
function connectionOwners(port: number): Set<number> {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' })
  return new Set([...out.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])))
}

/** `env`: the server's environment, store included (data folder, PYTRACK_DATABASE_URL). */
export async function checkWorkersKeepEveryHit(env: Record<string, string>): Promise<void> {
  const server = await spawnServer({ PYTRACK_KEYS: WORKERS_KEY, PYTRACK_API_TOKEN: TOKEN, ...env }, { args: ['--workers', '2'] })
  try {
    const pid = server.child.pid as number
    const before = workerPids(pid)
    expect(before).toHaveLength(2)
    const configuration = new Configuration({ baseOpenTrackingUrl: `${server.url}/open/`, baseClickTrackingUrl: `${server.url}/click/`, codec: fernetCodec(WORKERS_KEY) })
    const answered = new Set<string>()
    const watch = createWatch()
    let next = 0
    let running = true
    const client = async (): Promise<void> => {
      while (running) {
        const id = `worker-${next++}`
        const link = next % 2 === 0 ? getOpenTrackingUrl({ message_id: id }, { configuration }) : getClickTrackingUrl('https://www.example.com/', { message_id: id }, { configuration })
        try {
          const response = await fetch(link, { headers: BROWSER, redirect: 'manual' })
          await response.arrayBuffer()
          if (response.status === 200 || response.status === 302) answered.add(id)
        } catch {
          // Requests in flight on the killed worker fail: never answered.
        }
        watch.notify()
      }
    }
    const clients = Array.from({ length: 16 }, client)
    await watch.until(() => answered.size >= 300)
    // The clients' 16 connections are spread over both workers (each worker answers its own).
    expect([...connectionOwners(Number(new URL(server.url).port))].sort()).toEqual([...before].sort())
    process.kill(before[0] as number, 'SIGKILL')
    // The supervisor starts another worker; the other one keeps answering meanwhile.
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (server.logs.filter((line) => line.msg === 'pytrack server listening').length < 3) return
        server.child.stdout?.off('data', check)
        resolve()
      }
      // Log lines are parsed by an earlier listener of the same stream, so they are in by now.
      server.child.stdout?.on('data', check)
      check()
    })
    const after = answered.size
    await watch.until(() => answered.size >= after + 200)
    running = false
    await Promise.all(clients)
    const now = workerPids(pid)
    expect(now).toHaveLength(2)
    expect(now).not.toContain(before[0])

    const stored: string[] = []
    let cursor = ''
    for (;;) {
      const response = await fetch(`${server.url}/api/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const page = (await response.json()) as { events: { metadata: { message_id: string } }[]; nextCursor: string; hasMore: boolean }
      stored.push(...page.events.map((event) => event.metadata.message_id))
      cursor = page.nextCursor
      if (!page.hasMore) break
    }
    expect(new Set(stored).size).toBe(stored.length)
    expect([...answered].filter((id) => !stored.includes(id))).toEqual([])

    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.logs.filter((line) => line.msg === 'pytrack server stopped')).toHaveLength(2)
    expect(server.logs.some((line) => line.msg === 'worker exited; starting another')).toBe(true)
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL')
      await server.exited
    }
  }
}
