// examples/python/pytrack_client.py (standard library only) against a real server.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, TOKEN, startTestServer, type TestServer } from '../test/helpers'

const SCRIPT = fileURLToPath(new URL('../../../examples/python/pytrack_client.py', import.meta.url))
const run = promisify(execFile)
const python = await run('python3', ['--version']).then(
  () => true,
  () => false,
)
if (!python) console.warn('the Python example test is skipped: no python3 on this machine')

let t: TestServer

describe.skipIf(!python)('the Python example', () => {
  beforeAll(async () => {
    t = await startTestServer()
  })
  afterAll(async () => {
    await t?.stop()
  })

  it('makes links, adapts an email and reads stats through the API', async () => {
    const { stdout } = await run('python3', [SCRIPT], { env: { PATH: process.env.PATH ?? '', PYTRACK_URL: t.server.url, PYTRACK_API_TOKEN: TOKEN } })
    const out = JSON.parse(stdout) as { openLink: string; clickLink: string; adaptedHtml: string; trackedLinks: number; stats: { total: Record<string, number>; groups: unknown } }
    expect(out.trackedLinks).toBe(1)
    expect(out.adaptedHtml).toContain('<img')
    expect(out.adaptedHtml).not.toContain('href="https://example.com/offer"')
    expect(out.stats.total).toMatchObject({ opens: 0, clicks: 0 })
    // The links it made work.
    expect((await fetch(t.local(out.openLink), { headers: BROWSER })).status).toBe(200)
    const click = await fetch(t.local(out.clickLink), { headers: BROWSER, redirect: 'manual' })
    expect(click.headers.get('location')).toBe('https://example.com/offer')
    const again = JSON.parse((await run('python3', [SCRIPT], { env: { PATH: process.env.PATH ?? '', PYTRACK_URL: t.server.url, PYTRACK_API_TOKEN: TOKEN } })).stdout) as typeof out
    expect(again.stats.total).toMatchObject({ opens: 1, clicks: 1 })
    expect(JSON.stringify(again.stats.groups)).toContain('python-example')
  })

  it('says what the server refused', async () => {
    const failed = await run('python3', [SCRIPT], { env: { PATH: process.env.PATH ?? '', PYTRACK_URL: t.server.url, PYTRACK_API_TOKEN: 'wrong' } }).catch((error: { code: number; stderr: string }) => error)
    expect(failed).toMatchObject({ code: 1 })
    expect((failed as { stderr: string }).stderr).toMatch(/POST \/links\/open: 401/)
  })
})
