// The dashboard: one page on the server's own API. No framework: a few tables, six figures and
// a uPlot chart, refreshed on a timer; the live list polls the events cursor.
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './style.css'

// The API's answers are the store's types in JSON (type-only: nothing of the server is bundled).
import type { DestinationCounts, OutboxItem, StatsCounts as Counts, Timeseries as Series, TrackingEvent } from '../src/store/event-store'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const RANGES: Record<string, { span: number | null; interval: 'hour' | 'day' }> = {
  '24h': { span: DAY, interval: 'hour' },
  '7d': { span: 7 * DAY, interval: 'hour' },
  '30d': { span: 30 * DAY, interval: 'day' },
  '90d': { span: 90 * DAY, interval: 'day' },
  all: { span: null, interval: 'day' },
}
const TOKEN_KEY = 'pytrack.token'
const LIVE_EVERY_MS = 2_000
const REFRESH_EVERY_MS = 15_000
const LIVE_ITEMS = 50
const FIGURES: (keyof Counts)[] = ['opens', 'uniqueOpens', 'clicks', 'uniqueClicks', 'machineOpens', 'machineClicks']

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`the page has no #${id}`)
  return found as T
}

const rangeSelect = element<HTMLSelectElement>('range')
const keyInput = element<HTMLInputElement>('key')
const valueSelect = element<HTMLSelectElement>('value')
const status = element('status')
const numbers = new Intl.NumberFormat()

class Unauthorized extends Error {}

function setStatus(text: string, problem = false): void {
  status.textContent = text
  status.classList.toggle('problem', problem)
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers)
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token !== null) headers.set('authorization', `Bearer ${token}`)
  const response = await fetch(path, { ...init, headers })
  if (response.status === 401) throw new Unauthorized('the API token is missing or wrong')
  const body = (await response.json()) as T & { error?: { message: string } }
  if (!response.ok) throw new Error(body.error?.message ?? `the server answered ${response.status}`)
  return body
}

// ---- The filters, kept in the address so a view can be shared or reloaded.

function readAddress(): void {
  const params = new URLSearchParams(location.search)
  const range = params.get('range')
  if (range !== null && range in RANGES) rangeSelect.value = range
  const key = params.get('key')
  if (key !== null && /^[A-Za-z0-9_\-.:]{1,64}$/.test(key)) keyInput.value = key
  const value = params.get('value')
  if (value !== null) setValueOptions([value], value)
}

function writeAddress(): void {
  const params = new URLSearchParams({ range: rangeSelect.value, key: keyInput.value })
  if (valueSelect.value !== '') params.set('value', valueSelect.value)
  history.replaceState(null, '', `?${params.toString()}`)
}

let oldest: number | null = null

async function rangeOf(): Promise<{ from: number; to: number; interval: 'hour' | 'day' }> {
  const range = RANGES[rangeSelect.value] ?? { span: 7 * DAY, interval: 'hour' }
  const to = Date.now()
  if (range.span !== null) return { from: to - range.span, to, interval: range.interval }
  if (oldest === null) {
    const page = await api<{ events: TrackingEvent[] }>('/api/v1/events?limit=1')
    oldest = page.events[0]?.time ?? to - DAY
  }
  return { from: Math.min(oldest, to - DAY), to, interval: 'day' }
}

function filterQuery(from: number, to: number): URLSearchParams {
  const query = new URLSearchParams({ from: String(from), to: String(to) })
  if (valueSelect.value !== '' && keyInput.validity.valid) {
    query.set('groupBy', keyInput.value)
    query.set('value', valueSelect.value)
  }
  return query
}

function setValueOptions(values: string[], selected: string): void {
  const options = [new Option('All events', ''), ...values.map((value) => new Option(value, value))]
  if (selected !== '' && !values.includes(selected)) options.push(new Option(selected, selected))
  valueSelect.replaceChildren(...options)
  valueSelect.value = selected
}

async function loadValues(): Promise<void> {
  if (!keyInput.validity.valid) {
    setValueOptions([], '')
    return
  }
  const { from, to } = await rangeOf()
  const query = new URLSearchParams({ groupBy: keyInput.value, from: String(from), to: String(to), limit: '200' })
  const answer = await api<{ values: { value: string }[] }>(`/api/v1/stats/values?${query.toString()}`)
  setValueOptions(answer.values.map((entry) => entry.value), valueSelect.value)
}

// ---- Figures and the chart.

let chart: uPlot | undefined
const chartBox = element('chart')

interface Palette {
  opens: string
  clicks: string
  machineOpens: string
  machineClicks: string
  muted: string
  line: string
}

function palette(): Palette {
  const style = getComputedStyle(document.documentElement)
  const read = (name: string): string => style.getPropertyValue(name).trim()
  return {
    opens: read('--opens'),
    clicks: read('--clicks'),
    machineOpens: read('--machine-opens'),
    machineClicks: read('--machine-clicks'),
    muted: read('--muted'),
    line: read('--line'),
  }
}

function chartSize(): { width: number; height: number } {
  // The legend sits under the plot, inside the box of fixed height.
  return { width: Math.max(200, chartBox.clientWidth), height: Math.max(120, chartBox.clientHeight - 56) }
}

function makeChart(data: uPlot.AlignedData): uPlot {
  const color = palette()
  const axis = { stroke: color.muted, grid: { stroke: color.line, width: 1 }, ticks: { stroke: color.line, width: 1 } }
  const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width: dash === undefined ? 2 : 1.5,
    ...(dash === undefined ? {} : { dash }),
    points: { show: false },
    value: (_chart, value) => (value === null ? '–' : numbers.format(value)),
  })
  return new uPlot(
    {
      ...chartSize(),
      scales: { x: { time: true }, y: { range: (_chart, _min, max) => [0, Math.max(1, max)] } },
      axes: [axis, { ...axis, size: 50 }],
      series: [
        {},
        line('Opens (people)', color.opens),
        line('Clicks (people)', color.clicks),
        line('Machine opens', color.machineOpens, [6, 4]),
        line('Machine clicks', color.machineClicks, [6, 4]),
      ],
    },
    data,
    chartBox,
  )
}

let lastData: uPlot.AlignedData = [[], [], [], [], []]

function drawChart(series: Series): void {
  const buckets = series.buckets
  lastData = [
    buckets.map((bucket) => bucket.time / 1000),
    buckets.map((bucket) => bucket.opens),
    buckets.map((bucket) => bucket.clicks),
    buckets.map((bucket) => bucket.machineOpens),
    buckets.map((bucket) => bucket.machineClicks),
  ]
  element('chart-interval').textContent = series.interval === 'hour' ? 'by hour (UTC)' : 'by day (UTC)'
  if (chart === undefined) chart = makeChart(lastData)
  else chart.setData(lastData)
}

new ResizeObserver(() => chart?.setSize(chartSize())).observe(chartBox)
// Colours come from the colour scheme: a new chart when it changes.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  chart?.destroy()
  chart = makeChart(lastData)
})

function showFigures(total: Counts): void {
  for (const name of FIGURES) element(`f-${name}`).textContent = numbers.format(total[name])
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td')
  td.textContent = text
  if (className !== undefined) td.className = className
  return td
}

async function loadSeries(generation: number): Promise<void> {
  const { from, to, interval } = await rangeOf()
  const query = filterQuery(from, to)
  const [series, top] = await Promise.all([
    api<Series>(`/api/v1/stats/timeseries?${query.toString()}&interval=${interval}`),
    api<{ destinations: DestinationCounts[] }>(
      `/api/v1/stats/destinations?${query.toString()}&limit=10`,
    ),
  ])
  if (generation !== loadGeneration) return
  showFigures(series.total)
  drawChart(series)
  const rows = top.destinations.map((entry) => {
    const row = document.createElement('tr')
    row.append(cell(entry.destination, 'url'), cell(numbers.format(entry.clicks), 'n'), cell(numbers.format(entry.uniqueClicks), 'n'), cell(numbers.format(entry.machineClicks), 'n'))
    return row
  })
  element('destinations').querySelector('tbody')?.replaceChildren(...rows)
  element('destinations-empty').hidden = rows.length > 0
}

// ---- Failed webhook deliveries, each with a retry button.

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' })

async function loadDeliveries(): Promise<void> {
  const page = await api<{ deliveries: OutboxItem[] }>('/api/v1/webhooks/deliveries?status=failed&limit=100')
  const body = element('deliveries').querySelector('tbody')
  const rows = page.deliveries.map((delivery) => {
    const row = document.createElement('tr')
    row.dataset.id = String(delivery.id)
    const answer = delivery.lastStatus === null ? (delivery.lastError ?? 'no answer') : `HTTP ${delivery.lastStatus}`
    const action = document.createElement('td')
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = 'Retry'
    button.setAttribute('aria-label', `Retry delivery ${delivery.id}`)
    button.addEventListener('click', () => void retry(delivery.id, button))
    action.append(button)
    const error = cell(answer)
    if (delivery.lastError !== null) error.title = delivery.lastError
    row.append(cell(String(delivery.id)), cell(delivery.url, 'url'), error, cell(String(delivery.attempts), 'n'), cell(timeFormat.format(delivery.updatedAt)), action)
    return row
  })
  body?.replaceChildren(...rows)
  element('deliveries-empty').hidden = rows.length > 0
}

async function retry(id: number, button: HTMLButtonElement): Promise<void> {
  button.disabled = true
  try {
    await api(`/api/v1/webhooks/deliveries/${id}/retry`, { method: 'POST' })
    button.textContent = 'Queued'
    setStatus(`Delivery ${id} is queued again.`)
  } catch (error) {
    button.disabled = false
    failed(error)
  }
}

// ---- The live list: the newest events, then every new one as the cursor brings it.

let cursor: string | null = null
const eventList = element('events')
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })

function describeEvent(event: TrackingEvent): string {
  const key = keyInput.value
  const value = event.metadata[key]
  const group = value === undefined ? '' : `${key} ${typeof value === 'string' ? value : JSON.stringify(value)} · `
  return `${group}${event.kind === 'click' ? (event.destination ?? '') : 'opened'}`
}

function addEvents(events: TrackingEvent[]): void {
  for (const event of events) {
    const item = document.createElement('li')
    item.dataset.id = String(event.id)
    const time = document.createElement('time')
    time.dateTime = new Date(event.time).toISOString()
    time.textContent = clock.format(event.time)
    const tag = document.createElement('span')
    tag.className = `tag ${event.kind}`
    tag.textContent = event.kind
    const what = document.createElement('span')
    what.className = 'what'
    what.textContent = describeEvent(event)
    what.title = what.textContent
    if (event.machine) {
      const label = document.createElement('span')
      label.className = 'machine-label'
      label.textContent = ` (${event.label})`
      what.append(label)
    }
    item.append(time, tag, what)
    eventList.prepend(item)
  }
  while (eventList.children.length > LIVE_ITEMS) eventList.lastElementChild?.remove()
  element('events-empty').hidden = eventList.children.length > 0
}

async function pollEvents(): Promise<void> {
  const query = cursor === null ? `latest=${LIVE_ITEMS}` : `cursor=${encodeURIComponent(cursor)}&limit=100`
  const page = await api<{ events: TrackingEvent[]; nextCursor: string | null }>(`/api/v1/events?${query}`)
  addEvents(page.events)
  if (page.nextCursor !== null) cursor = page.nextCursor
}

// ---- Running it.

let loadGeneration = 0

function failed(error: unknown): void {
  if (error instanceof Unauthorized) {
    sessionStorage.removeItem(TOKEN_KEY)
    askForToken('That token was refused; try again.')
    return
  }
  setStatus(`Could not load: ${error instanceof Error ? error.message : String(error)}`, true)
}

async function refresh(values = false): Promise<void> {
  const generation = ++loadGeneration
  try {
    if (values) await loadValues()
    writeAddress()
    await Promise.all([loadSeries(generation), loadDeliveries()])
    setStatus(`Updated ${clock.format(Date.now())}`)
  } catch (error) {
    failed(error)
  }
}

let liveTimer: ReturnType<typeof setTimeout> | undefined

async function live(): Promise<void> {
  const badge = element('live')
  try {
    await pollEvents()
    badge.classList.remove('off')
  } catch (error) {
    badge.classList.add('off')
    if (error instanceof Unauthorized) return failed(error)
  }
  liveTimer = setTimeout(() => void live(), LIVE_EVERY_MS)
}

let started = false
let refreshTimer: ReturnType<typeof setInterval> | undefined

function start(): void {
  if (started) return
  started = true
  void refresh(true)
  void live()
  refreshTimer = setInterval(() => void refresh(), REFRESH_EVERY_MS)
}

function askForToken(message = ''): void {
  clearTimeout(liveTimer)
  clearInterval(refreshTimer)
  started = false
  const dialog = element<HTMLDialogElement>('login')
  element('login-error').textContent = message
  if (!dialog.open) dialog.showModal()
  element<HTMLInputElement>('token').focus()
}

// The page shows nothing without a token: Escape must not close the question.
element('login').addEventListener('cancel', (event) => event.preventDefault())
element<HTMLFormElement>('login-form').addEventListener('submit', () => {
  const token = element<HTMLInputElement>('token').value.trim()
  if (token === '') return
  sessionStorage.setItem(TOKEN_KEY, token)
  start()
})
rangeSelect.addEventListener('change', () => {
  oldest = null
  void refresh(true)
})
keyInput.addEventListener('change', () => {
  valueSelect.value = ''
  void refresh(true)
})
valueSelect.addEventListener('change', () => void refresh())

readAddress()
// The server says in the page whether its API wants a token (no request needed to find out).
const needsToken = document.querySelector('meta[name="pytrack-api"]')?.getAttribute('content') === 'token'
if (needsToken && sessionStorage.getItem(TOKEN_KEY) === null) askForToken()
else start()
