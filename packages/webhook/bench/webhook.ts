// Deliveries a second from sendWebhook (and the queue) to a local keep-alive node:http
// receiver with 64 deliveries in flight. The receiver runs in its own process so it does not
// share the sender's event loop. Prints figures; never fails.
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { once } from 'node:events'
import { Agent } from 'undici'
import { Configuration, getClickTrackingResult, getClickTrackingUrl } from '@pytrack/core'
import { benchWorkload } from '../../../test-utils/vectors'
import { createWebhookQueue, generateWebhookSecret, sendWebhook, type WebhookOptions } from '@pytrack/webhook'

const IN_FLIGHT = 64
const PER_RUN = 10_000
const RUNS = 5

const receiverCode = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => { res.writeHead(204); res.end() })
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

async function startReceiver(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', receiverCode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/hook`, stop: () => child.kill() }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function withSendWebhook(count: number, options: WebhookOptions, result: ReturnType<typeof getClickTrackingResult>): Promise<number> {
  let next = 0
  let failed = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) {
        const outcome = await sendWebhook(result, options)
        if (!outcome.delivered) failed++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  if (failed > 0) console.log(`  (${failed} deliveries failed)`)
  return count / seconds
}

async function withQueue(count: number, options: WebhookOptions, result: ReturnType<typeof getClickTrackingResult>): Promise<number> {
  let failed = 0
  const queue = createWebhookQueue({ ...options, concurrency: IN_FLIGHT, capacity: 1024, onFailed: () => failed++ })
  const started = performance.now()
  for (let i = 0; i < count; i++) await queue.enqueueAndWait(result)
  await queue.close()
  const seconds = (performance.now() - started) / 1000
  if (failed > 0) console.log(`  (${failed} deliveries failed)`)
  return count / seconds
}

async function main(): Promise<void> {
  const receiver = await startReceiver()
  const configuration = new Configuration({
    baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl,
    webhookUrl: receiver.url,
  })
  const link = getClickTrackingUrl(benchWorkload.clickUrl, { ...benchWorkload.metadata }, { configuration })
  const result = getClickTrackingResult(link, {
    configuration,
    requestData: { user_agent: 'Mozilla/5.0 (bench)', user_ip: '127.0.0.1' },
  })
  const dispatcher = new Agent({ connections: IN_FLIGHT })
  const plain: WebhookOptions = { configuration, dispatcher }
  const signed: WebhookOptions = { configuration, dispatcher, secret: generateWebhookSecret() }

  console.log(`@pytrack/webhook bench: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`)
  console.log(`${IN_FLIGHT} deliveries in flight to a keep-alive node:http receiver (another process), ${PER_RUN} per run, median of ${RUNS} runs after a warm-up`)
  const cases: [string, (n: number) => Promise<number>][] = [
    ['sendWebhook', (n) => withSendWebhook(n, plain, result)],
    ['sendWebhook, signed (Standard Webhooks)', (n) => withSendWebhook(n, signed, result)],
    ['queue (concurrency 64), signed', (n) => withQueue(n, signed, result)],
  ]
  for (const [name, run] of cases) {
    await run(2_000) // warm-up: JIT and connections
    const rates: number[] = []
    for (let i = 0; i < RUNS; i++) rates.push(await run(PER_RUN))
    console.log(
      `  ${name}: ${Math.round(median(rates)).toLocaleString('en-US')} deliveries/s (runs: ${rates.map((r) => Math.round(r)).join(', ')})`,
    )
  }
  await dispatcher.close()
  receiver.stop()
}

main().catch((error: unknown) => {
  // Benchmarks print, never fail the build.
  console.log('webhook bench could not run:', error)
})
