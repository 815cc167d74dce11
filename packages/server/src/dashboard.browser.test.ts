// The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core) on a
// real server with recorded events. Without the browser the suite is skipped and says how to
// install it. Screenshots go to reports/dashboard/ (git ignores reports/).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { BROWSER, TOKEN, startTestServer, type TestServer } from '../test/helpers'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = fileURLToPath(new URL('../../../reports/dashboard/', import.meta.url))
const XSS = '<img src=x onerror="window.__xss=1">'
const hasBrowser = existsSync(CHROMIUM)
if (!hasBrowser) console.warn(`dashboard browser tests skipped: no ${CHROMIUM} (install it with: apt-get update && apt-get install -y chromium)`)

/** A webhook receiver that answers 500 until `accept` is set. */
interface Receiver {
  server: Server
  accept: boolean
  url: string
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { server: createServer(), accept: false, url: '' }
  receiver.server.on('request', (req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(receiver.accept ? 204 : 500).end())
  })
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/hook`
  return receiver
}

let t: TestServer
let receiver: Receiver
let context: BrowserContext
let userDataDir: string
const problems: string[] = []

async function link(kind: 'open' | 'click', body: unknown): Promise<string> {
  const response = await t.api(`/api/v1/links/${kind}`, { method: 'POST', json: body })
  return t.local(((await response.json()) as { url: string }).url)
}

async function hit(url: string): Promise<void> {
  expect([200, 302]).toContain((await fetch(url, { headers: BROWSER, redirect: 'manual' })).status)
}

async function failedIds(): Promise<number[]> {
  const page = (await (await t.api('/api/v1/webhooks/deliveries?status=failed&limit=1000')).json()) as { deliveries: { id: number }[] }
  return page.deliveries.map((delivery) => delivery.id)
}

async function openPage(width: number, height: number): Promise<Page> {
  const page = await context.newPage()
  await page.setViewportSize({ width, height })
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return page
}

/** The dashboard asks for the token, then shows its figures. */
async function logIn(page: Page): Promise<void> {
  await page.goto(`${t.server.url}/`)
  expect(page.url()).toBe(`${t.server.url}/dashboard/`)
  await page.locator('#token').fill(TOKEN)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.getElementById('f-opens')?.textContent !== '–')
}

describe.skipIf(!hasBrowser)('the dashboard in headless Chromium', () => {
  beforeAll(async () => {
    receiver = await startReceiver()
    t = await startTestServer({ webhookUrls: [receiver.url], webhookSecret: 'whsec_' + 'A'.repeat(32), webhookRetryBaseMs: 10, webhookMaxAttempts: 1 })
    const fall = { message_id: 'b-1', campaign: 'fall' }
    const spring = { message_id: 'b-2', campaign: 'spring' }
    const hostile = { message_id: 'b-3', campaign: XSS }
    for (const url of [await link('open', { metadata: fall }), await link('open', { metadata: fall }), await link('open', { metadata: spring })]) await hit(url)
    await hit(await link('click', { url: 'https://example.com/sale', metadata: fall }))
    await hit(await link('click', { url: 'https://example.com/hats', metadata: spring }))
    await hit(await link('open', { metadata: hostile }))
    // Every delivery fails once (one attempt each): the page has failed rows to retry.
    await vi.waitFor(async () => expect(await failedIds()).toHaveLength(6), { timeout: 30_000, interval: 50 })

    userDataDir = mkdtempSync(join(tmpdir(), 'pytrack-chromium-'))
    mkdirSync(SHOTS, { recursive: true })
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await t?.stop()
    await new Promise((resolve) => receiver?.server.close(resolve))
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true })
  })

  it('loads, draws the chart, follows the picker, shows new hits live, retries a failed delivery; no console errors', async () => {
    const page = await openPage(1280, 900)
    await logIn(page)
    expect(await page.locator('#f-opens').textContent()).toBe('4')
    expect(await page.locator('#f-clicks').textContent()).toBe('2')
    // The token is kept for the tab only, never in the address or in localStorage.
    expect(await page.evaluate(() => [sessionStorage.getItem('pytrack.token'), localStorage.length])).toEqual([TOKEN, 0])
    expect(page.url()).not.toContain(TOKEN)

    // The chart has pixels drawn, not just a canvas element.
    await page.waitForSelector('#chart canvas')
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#chart canvas')
      const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data
      let painted = 0
      for (let i = 3; i < (data?.length ?? 0); i += 4) if ((data?.[i] ?? 0) > 0) painted++
      return painted
    })
    expect(drawn).toBeGreaterThan(500)

    // Attacker-controlled metadata is text: in the picker and in the live list, nothing runs.
    await page.waitForFunction(() => document.querySelectorAll('#events li').length === 6)
    expect(await page.locator('#events').textContent()).toContain(XSS)
    expect(await page.locator('#value option').allTextContents()).toEqual(expect.arrayContaining(['All events', 'fall', 'spring', XSS]))
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined()
    expect(await page.locator('#main img').count()).toBe(0)

    // The picker changes the figures.
    await page.locator('#value').selectOption('fall')
    await page.waitForFunction(() => document.getElementById('f-opens')?.textContent === '2')
    expect(await page.locator('#f-clicks').textContent()).toBe('1')
    expect(await page.locator('#destinations tbody').textContent()).toContain('https://example.com/sale')
    expect(await page.locator('#destinations tbody').textContent()).not.toContain('hats')
    expect(page.url()).toContain('value=fall')
    await page.locator('#value').selectOption('')
    await page.waitForFunction(() => document.getElementById('f-opens')?.textContent === '4')

    // A new hit appears in the live list without a reload.
    await hit(await link('click', { url: 'https://example.com/new-arrival', metadata: { message_id: 'b-4', campaign: 'fall' } }))
    await page.waitForFunction(() => document.querySelector('#events li')?.textContent?.includes('https://example.com/new-arrival') === true)

    // A failed delivery's retry button sends it again, and it is delivered.
    receiver.accept = true
    const button = page.locator('#deliveries tbody tr').first().getByRole('button', { name: /Retry delivery/ })
    const id = Number(await page.locator('#deliveries tbody tr').first().getAttribute('data-id'))
    await button.focus()
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('#deliveries tbody tr button')?.textContent === 'Queued')
    await expect.poll(async () => (await failedIds()).includes(id), { timeout: 30_000 }).toBe(false)
    const all = (await (await t.api('/api/v1/webhooks/deliveries?status=delivered')).json()) as { deliveries: { id: number }[] }
    expect(all.deliveries.map((delivery) => delivery.id)).toContain(id)

    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  it('fits a phone, and moves nothing when the data comes', async () => {
    const page = await openPage(390, 844)
    await page.goto(`${t.server.url}/dashboard/`)
    // This tab has no token yet: it asks again (a new tab, a new sessionStorage).
    await page.locator('#token').fill(TOKEN)
    const before = await page.evaluate(() => [...document.querySelectorAll('.figure, .panel')].map((box) => box.getBoundingClientRect().top))
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelectorAll('#events li').length > 0 && document.getElementById('f-opens')?.textContent !== '–')
    await page.waitForSelector('#chart canvas')
    const after = await page.evaluate(() => [...document.querySelectorAll('.figure, .panel')].map((box) => box.getBoundingClientRect().top))
    expect(after).toEqual(before)
    // Nothing wider than the phone (tables scroll inside their panel).
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SHOTS, 'phone-dark.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)
})
