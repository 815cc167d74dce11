// pnpm bench: POST /api/v1/adapt/batch streaming 100,000 recipients (one email of the corpus,
// Fernet links) from a client that writes its body as it goes and reads the answer as it
// comes, against the server in its own process; each batch's peak RSS of the server (read
// from outside it, /proc/<pid>/status) printed beside the count for 1,000, 10,000 and 100,000
// recipients, in ROUNDS rounds (BENCH_BATCH_ROUNDS, 2) to show the noise: flat memory is the same
// peak for all three. Then the proof that nothing of a batch stays in memory: 100,000 recipients
// through a server whose old generation is capped near its live size.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
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

/** The server in its own process (bench/batch-target.ts), so its peak RSS is its own. */
async function startTarget(nodeFlags: string[] = []): Promise<{ url: string; memory: () => Promise<Memory>; peakRss: () => number; resetPeak: () => void; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', fileURLToPath(new URL('batch-target.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] })
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const reply = async <T>(): Promise<T> => JSON.parse((await replies.next()).value as string) as T
  const { url } = await reply<{ url: string }>()
  return {
    url,
    memory: async () => {
      child.stdin.write('memory\n')
      return reply()
    },
    // Read from outside the server: the kernel's high-water mark of its resident memory.
    peakRss: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) * 1024,
    // Linux: 5 sets the high-water mark back to the current RSS (proc(5), clear_refs).
    resetPeak: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: async () => {
      child.stdin.end()
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

interface Memory {
  rss: number
  maxRss: number
  cpu: { user: number; system: number }
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
function send(url: string, count: number): Promise<{ answered: number; failed: number; bytes: number; seconds: number }> {
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
const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`
const WARM_UP = 10_000
const ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 2)
/** The old generation of the small-heap run: about the server's live heap (18 MB) and a few MB of room. */
const SMALL_OLD_SPACE_MB = 32

/** Runs each count `rounds` times on a warm server; prints a row a batch; resolves with the peaks by count. */
async function measure(target: Awaited<ReturnType<typeof startTarget>>, counts: number[], rounds: number): Promise<Map<number, number[]>> {
  const peaks = new Map<number, number[]>()
  for (let round = 1; round <= rounds; round++) {
    for (const count of counts) {
      const before = await target.memory()
      target.resetPeak()
      const result = await send(target.url, count)
      const peak = target.peakRss()
      const after = await target.memory()
      peaks.set(count, [...(peaks.get(count) ?? []), peak])
      const cpuSeconds = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6
      console.log(
        `  ${String(round).padStart(5)} | ${count.toLocaleString('en').padStart(10)} | ${mb(before.rss).padStart(17)} | ${mb(peak).padStart(15)} | ${mb(result.bytes).padStart(12)} | ${Math.round(count / cpuSeconds).toLocaleString('en').padStart(21)} | ${Math.round(count / result.seconds).toLocaleString('en').padStart(10)} (${result.seconds.toFixed(1)} s)`,
      )
    }
  }
  return peaks
}

const header = '  round | recipients | server RSS before | peak server RSS | streamed out | emails / server CPU-s | emails / s wall clock'
const target = await startTarget()
const started = await target.memory()
// The peak of a batch in a server that has run: V8's young generation grows to its working
// size in the first seconds of any sustained load (pixels as much as batches), once.
await send(target.url, WARM_UP)
console.log(`template ${template.length} characters; server RSS ${mb(started.rss)} at start, ${mb(target.peakRss())} peak after a warm-up batch of ${WARM_UP.toLocaleString('en')}`)
console.log("each batch's own peak RSS of the server process: VmHWM of /proc/<pid>/status, reset before it (clear_refs)")
console.log(header)
const peaks = await measure(target, COUNTS, ROUNDS)
const all = [...peaks.values()].flat()
const growth = (round: number): string => {
  const first = peaks.get(COUNTS[0]!)?.[round]
  const last = peaks.get(COUNTS.at(-1)!)?.[round]
  if (first === undefined || last === undefined) return 'n/a'
  return `${last >= first ? '+' : ''}${(((last - first) / first) * 100).toFixed(1)}%`
}
if (COUNTS.length > 1) {
  const rounds = Array.from({ length: ROUNDS }, (_, round) => `round ${round + 1} ${growth(round)}`).join(', ')
  console.log(`  peak at ${COUNTS.at(-1)?.toLocaleString('en')} recipients against ${COUNTS[0]?.toLocaleString('en')}: ${rounds} (aim: flat, within 5%); every batch's peak: ${mb(Math.min(...all))} to ${mb(Math.max(...all))}`)
  console.log('  (a first long batch lets V8 grow its heap to its working size, which it keeps: the later rounds show the server after it)')
}
console.log(`  lifetime peak of the server process: ${mb(target.peakRss())} after the reset; ${mb((await target.memory()).maxRss)} by its own count (getrusage, never reset)`)
await target.stop()

// The proof that nothing of the batch stays in memory as it goes: the largest batch through a
// server whose old generation is capped near its live size. Were the recipients' answers (1 GB)
// or anything per recipient kept, it would die with "heap out of memory" instead.
const small = await startTarget([`--max-old-space-size=${SMALL_OLD_SPACE_MB}`])
await send(small.url, WARM_UP)
console.log(`the same server with its old generation capped at ${SMALL_OLD_SPACE_MB} MB (--max-old-space-size):`)
console.log(header)
await measure(small, [COUNTS.at(-1)!], 1)
console.log(`  the ${COUNTS.at(-1)?.toLocaleString('en')} recipient batch went through: the server holds none of it beyond the batch's buffers`)
await small.stop()
console.log('  (the server reads at most 64 KiB of the body ahead and writes from two 64 KiB buffers, waiting for the socket to take each; wall clock is noisy: client and server share this busy 2-core machine)')
