// pnpm bench: POST /api/v1/adapt/batch streaming 100,000 recipients (one email of the corpus,
// Fernet links) from a client that writes its body as it goes and reads the answer as it
// comes, against the server in its own process; the server's peak RSS printed beside the
// count, after 1,000, 10,000 and 100,000 recipients: flat memory is the same peak for all three.
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { printMachine } from '../../../test-utils/bench'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'

const COUNTS = (process.env.BENCH_BATCH_COUNTS ?? '1000,10000,100000').split(',').map(Number)
const FALLBACK = `<html><body><p><a href="${benchWorkload.clickUrl}">Sale</a> <a href="https://www.example.com/about">About</a></p></body></html>`

printMachine('Batch endpoint: one template, many recipients, JSON lines both ways (Fernet links)')
const template = corpusFiles().find((file) => file.name.startsWith('leemunroe'))?.html ?? FALLBACK

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('batch-target.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] })
const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
const reply = async <T>(): Promise<T> => JSON.parse((await replies.next()).value as string) as T
const { url } = await reply<{ url: string }>()
const memory = async (): Promise<{ rss: number; maxRss: number; cpu: { user: number; system: number } }> => {
  child.stdin.write('memory\n')
  return reply()
}

function* body(count: number): Generator<string> {
  yield `${JSON.stringify({ html: template, metadata: { campaign: benchWorkload.metadata.campaign, list: benchWorkload.metadata.list } })}\n`
  let lines = ''
  for (let n = 0; n < count; n++) {
    lines += `${JSON.stringify({ id: `r-${n}`, metadata: { customer_id: n, message_id: `<${n}.fall-2026@example.com>` } })}\n`
    if (lines.length > 16_384) {
      yield lines
      lines = ''
    }
  }
  if (lines !== '') yield lines
}

/** Sends the batch; resolves with the recipients answered, the bytes received and the seconds taken. */
function send(count: number): Promise<{ answered: number; failed: number; bytes: number; seconds: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/adapt/batch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`the batch answered ${response.statusCode}`))
      let pending = ''
      let bytes = 0
      let answered = 0
      let end: { done?: true; count?: number; failed?: number; error?: unknown } = {}
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        bytes += chunk.length
        pending += chunk
        let start = 0
        for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
          // Only the end line is parsed: the client keeps up by counting.
          if (pending.startsWith('{"index"', start)) answered++
          else end = JSON.parse(pending.slice(start, newline)) as typeof end
          start = newline + 1
        }
        pending = pending.slice(start)
      })
      response.on('end', () => {
        if (end.done !== true || end.count !== count || answered !== count) reject(new Error(`the batch ended with ${JSON.stringify(end)} after ${answered} answers`))
        else resolve({ answered, failed: end.failed ?? 0, bytes, seconds: (performance.now() - started) / 1000 })
      })
    })
    req.on('error', reject)
    Readable.from(body(count)).pipe(req)
  })
}

const MB = 1024 * 1024
const before = await memory()
console.log(`server RSS before any batch: ${(before.rss / MB).toFixed(0)} MB (peak so far ${(before.maxRss / MB).toFixed(0)} MB); template ${template.length} characters`)
let last = before
for (const count of COUNTS) {
  const result = await send(count)
  const after = await memory()
  const cpuSeconds = (after.cpu.user + after.cpu.system - last.cpu.user - last.cpu.system) / 1e6
  last = after
  console.log(
    `  ${count.toLocaleString('en')} recipients: peak server RSS ${(after.maxRss / MB).toFixed(0)} MB; ${(result.bytes / MB).toFixed(0)} MB streamed out; ${Math.round(count / cpuSeconds).toLocaleString('en')} emails per server CPU-second, ${Math.round(count / result.seconds).toLocaleString('en')}/s wall clock (${result.seconds.toFixed(1)} s)`,
  )
}
console.log('  (the server reads at most 8 MiB of the body ahead; wall clock is noisy: client and server share this busy 2-core machine)')
child.stdin.end()
await new Promise((resolve) => child.once('exit', resolve))
