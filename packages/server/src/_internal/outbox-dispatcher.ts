import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { TrackingResult } from '@pytrack/core'
import { sendWebhook, type RetryOptions } from '@pytrack/webhook'
import type { Logger } from 'pino'
import type { EventStore, OutboxItem } from '../store/event-store'

export interface OutboxDispatcherOptions {
  store: EventStore
  logger: Logger
  /** Standard Webhooks secret; null sends unsigned. */
  secret: string | null
  timeoutSeconds: number
  /** Outbox attempts before a delivery is marked failed. */
  maxAttempts: number
  /** The first pause between outbox attempts; doubled each time, up to an hour. */
  retryBaseMs: number
  /** Deliveries in flight at once. Default 16. */
  concurrency?: number
  /** The quick retries @pytrack/webhook makes inside one attempt. */
  retry?: RetryOptions
}

const MAX_PAUSE_MS = 3_600_000

/**
 * A `reclassified` payload (verdicts.ts) in the shape sendWebhook posts: it writes `toJSON()`
 * as Python's json.dumps and signs it like every other delivery. Neither an open nor a click,
 * and no webhook URL of its own, so it goes to the row's URL only.
 */
function reclassifiedEvent(data: Record<string, unknown>): TrackingResult {
  return { isOpenTracking: false, isClickTracking: false, webhookUrl: null, toJSON: () => data } as unknown as TrackingResult
}
// Even with nothing due, look again now and then (another instance may have written rows).
const IDLE_POLL_MS = 30_000

/**
 * Delivers the outbox: claims due rows, posts each with @pytrack/webhook (its retries, its
 * Standard Webhooks signature, `webhook-id` = the row's id), and records the outcome. A row
 * is marked delivered only after a 2xx, so delivery is at least once. Rows are held under this
 * dispatcher's own lease: on shutdown it gives back what it did not finish; after a crash its
 * leases expire and any instance sends the rows again, under the same `webhook-id`.
 */
export class OutboxDispatcher {
  readonly #options: Required<Omit<OutboxDispatcherOptions, 'retry'>> & { retry: RetryOptions }
  readonly #inFlight = new Set<Promise<void>>()
  readonly #abort = new AbortController()
  /** This dispatcher's lease: no other dispatcher (in this process or another) can change the rows it holds. */
  readonly #lease = randomUUID()
  #timer: NodeJS.Timeout | null = null
  #scheduled = false
  #pumping = false
  #again = false
  #closed = false

  constructor(options: OutboxDispatcherOptions) {
    this.#options = {
      concurrency: 16,
      retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000, budgetMs: 15_000 },
      ...options,
    }
    // Every delivery in flight listens to the shutdown signal.
    setMaxListeners(this.#options.concurrency + 8, this.#abort.signal)
  }

  /** Starts delivering what is due (including rows left by a previous run). */
  start(): void {
    this.wake()
  }

  /** Looks at the outbox soon: call after writing rows. Cheap; calls coalesce. */
  wake(): void {
    if (this.#closed || this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#pump()
    })
  }

  async #pump(): Promise<void> {
    if (this.#closed) return
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = true
    try {
      const { store, concurrency, retry, timeoutSeconds } = this.#options
      const free = concurrency - this.#inFlight.size
      if (free <= 0) return
      const leaseMs = (retry.budgetMs ?? 60_000) + timeoutSeconds * 1000 + 60_000
      const items = await store.claimOutbox({ lease: this.#lease, limit: free, leaseMs })
      for (const item of items) {
        const delivery: Promise<void> = this.#deliver(item).catch((error: unknown) => {
          // The outcome could not be written (the store failed): the row stays leased and is
          // sent again, under the same webhook-id, once its lease ends. Nothing may reject
          // unhandled here: that would take down the process embedding the server.
          this.#options.logger.error({ err: error, delivery: item.id }, 'webhook delivery outcome could not be recorded; it will be sent again after its lease')
        }).finally(() => {
          this.#inFlight.delete(delivery)
          this.wake()
        })
        this.#inFlight.add(delivery)
      }
      if (items.length < free) await this.#sleepUntilDue()
    } catch (error) {
      this.#options.logger.error({ err: error }, 'webhook outbox could not be read; retrying in 5 s')
      this.#arm(5_000)
    } finally {
      this.#pumping = false
      if (this.#again) {
        this.#again = false
        this.wake()
      }
    }
  }

  async #sleepUntilDue(): Promise<void> {
    const due = await this.#options.store.nextOutboxDue()
    this.#arm(due === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(0, due - Date.now()) + 5))
  }

  #arm(ms: number): void {
    if (this.#closed) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.wake()
    }, ms)
    this.#timer.unref()
  }

  async #deliver(item: OutboxItem): Promise<void> {
    const { store, logger, secret, timeoutSeconds, maxAttempts, retryBaseMs, retry } = this.#options
    let outcome
    try {
      const data = JSON.parse(item.payload) as Record<string, unknown>
      const result = data.type === 'reclassified' ? reclassifiedEvent(data) : TrackingResult.fromJSON(data)
      outcome = await sendWebhook(result, {
        webhookUrl: item.url,
        webhookId: item.webhookId,
        webhookTimeoutSeconds: timeoutSeconds,
        secret,
        retry,
        signal: this.#abort.signal,
      })
    } catch (error) {
      if (this.#abort.signal.aborted) {
        await store.releaseOutbox(item.id, this.#lease)
        return
      }
      // Only a broken row gets here (sendWebhook resolves for delivery failures): park it as failed.
      logger.error({ err: error, delivery: item.id }, 'webhook delivery could not be attempted')
      await store.failOutbox(item.id, this.#lease, { error: (error as Error).message, status: null, retryAt: null })
      return
    }
    // Shutting down: give the row back unattempted; an instance sends it again with the same webhook-id.
    if (this.#abort.signal.aborted) {
      await store.releaseOutbox(item.id, this.#lease)
      return
    }
    if (outcome.delivered) {
      await store.completeOutbox(item.id, this.#lease, outcome.status)
      logger.debug({ delivery: item.id, webhookId: item.webhookId, status: outcome.status }, 'webhook delivered')
      return
    }
    const attempts = item.attempts + 1
    const spent = attempts >= maxAttempts
    const pause = Math.min(MAX_PAUSE_MS, retryBaseMs * 2 ** (attempts - 1))
    // Jitter in [pause/2, pause) spreads a backlog out after a receiver comes back.
    const retryAt = spent ? null : Date.now() + Math.floor(pause / 2 + (Math.random() * pause) / 2)
    await store.failOutbox(item.id, this.#lease, { error: outcome.error.message, status: outcome.status, retryAt })
    const log = { delivery: item.id, webhookId: item.webhookId, status: outcome.status, attempts, code: outcome.error.code }
    if (spent) logger.error(log, 'webhook delivery failed for good after its retry budget; see GET /api/v1/webhooks/deliveries?status=failed')
    else logger.warn({ ...log, retryAt }, 'webhook delivery failed; will retry')
  }

  /** Stops claiming, waits up to `timeoutMs` for deliveries in flight, then gives the rest back to the outbox. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    const pending = Promise.allSettled([...this.#inFlight])
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    const first = await Promise.race([pending, timeout])
    clearTimeout(timer)
    if (first === 'timeout') {
      this.#abort.abort(new Error('the server is shutting down'))
      await pending
    }
  }
}
