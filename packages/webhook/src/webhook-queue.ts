import { setMaxListeners } from 'node:events'
import { InvalidArgumentError, describeValue, type TrackingResult } from '@pytrack/core'
import { deliver, notAttempted, type Message, type Target } from './_internal/deliver'
import { notAllowed, payloadOf, prepare, route, webhookIdOf, type Prepared } from './_internal/prepare'
import { QueueClosedError } from './errors/queue-closed-error'
import { WebhookDeliveryError } from './errors/webhook-delivery-error'
import { QueueFullError } from './errors/queue-full-error'
import type { WebhookEndpoint, WebhookOptions } from './webhook-options'
import type { WebhookDelivered, WebhookFailed, WebhookOutcome } from './webhook-outcome'

/**
 * Options of {@link createWebhookQueue}: {@link WebhookOptions}, more receivers, the bounds,
 * and where outcomes go.
 *
 * @example
 * ```ts
 * const options: WebhookQueueOptions = {
 *   configuration,
 *   concurrency: 32,
 *   onFailed: (outcome) => deadLetters.push(outcome),
 * }
 * ```
 */
export interface WebhookQueueOptions extends WebhookOptions {
  /** Receivers besides the configured webhook; each takes the events it lists. */
  endpoints?: readonly (string | WebhookEndpoint)[] | undefined
  /** How many deliveries may wait (in-flight ones not counted). Default 10,000. */
  capacity?: number | undefined
  /** How many deliveries run at once (a retrying one keeps its slot while it waits). Default 16. */
  concurrency?: number | undefined
  /** Called once for each delivery a receiver accepted. */
  onDelivered?: ((outcome: WebhookDelivered) => void) | undefined
  /** Called once for each delivery that failed for good. Required: no failure goes unseen. */
  onFailed: (outcome: WebhookFailed) => void
  /** Called when `enqueue` refuses a result because the queue is full (it also returns false). */
  onOverflow?: ((error: QueueFullError, result: TrackingResult) => void) | undefined
}

/**
 * Options of {@link WebhookQueue.enqueue}.
 *
 * @example
 * ```ts
 * queue.enqueue(result, { webhookId: `click_${eventId}` })
 * ```
 */
export interface EnqueueOptions {
  /** The `webhook-id` of this result's deliveries. Default: a fresh `msg_<uuid>`. */
  webhookId?: string | undefined
}

/**
 * Options of {@link WebhookQueue.close}.
 *
 * @example
 * ```ts
 * await queue.close({ discardQueued: true })
 * ```
 */
export interface CloseOptions {
  /** End the deliveries still waiting in `onFailed` with a {@link QueueClosedError} instead of delivering them. */
  discardQueued?: boolean | undefined
  /** Abort deliveries in flight (they end in `onFailed`) instead of waiting for them. */
  abortInFlight?: boolean | undefined
}

interface Item extends Message {
  target: Target | null
}

interface RoomWaiter {
  size: number
  resolve: () => void
  reject: (error: unknown) => void
}

const DEFAULT_CAPACITY = 10_000
const DEFAULT_CONCURRENCY = 16

function count(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a whole number of at least 1; got ${describeValue(value)}`)
  }
  return value
}

function optionalFunction<T>(value: unknown, name: string): T | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'function') throw new InvalidArgumentError(`${name} must be a function`)
  return value as T
}

// A throwing hook is a bug in the caller: surface it as an uncaught error, as an
// EventEmitter listener's would be, rather than losing it or the queue.
function call<T>(hook: ((value: T) => void) | null, value: T): void {
  if (hook === null) return
  try {
    hook(value)
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}

/**
 * A bounded in-memory queue of webhook deliveries, for callers who answer the tracking
 * request first and deliver after. At most `concurrency` deliveries run at once; at most
 * `capacity` wait. Each accepted delivery ends in exactly one of `onDelivered` or `onFailed`.
 * Make one with {@link createWebhookQueue}.
 *
 * @example
 * ```ts
 * const queue = createWebhookQueue({ configuration, onFailed: (o) => logger.error(o.error.message) })
 * app.get('/c/*', (request, reply) => {
 *   const result = getClickTrackingResult(request.url, { configuration })
 *   queue.enqueue(result)
 *   reply.redirect(result.trackedUrl!)
 * })
 * process.on('SIGTERM', () => queue.close())
 * ```
 */
export class WebhookQueue {
  readonly #prepared: Prepared
  readonly #capacity: number
  readonly #concurrency: number
  readonly #onDelivered: ((outcome: WebhookDelivered) => void) | null
  readonly #onFailed: (outcome: WebhookFailed) => void
  readonly #onOverflow: ((error: QueueFullError, result: TrackingResult) => void) | null
  readonly #abort = new AbortController()
  #items: Item[] = []
  #head = 0
  #inFlight = 0
  /** Room promised to waiters that have not pushed yet. */
  #reserved = 0
  #closed = false
  #closing: Promise<void> | null = null
  #roomWaiters: RoomWaiter[] = []
  #idleWaiters: (() => void)[] = []

  constructor(options: WebhookQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('createWebhookQueue needs options such as { configuration, onFailed }')
    }
    this.#prepared = prepare(options, true)
    const p = this.#prepared
    if (p.configured === null && p.endpoints.length === 0 && p.allow === null) {
      throw new InvalidArgumentError(
        'there is no webhook to post to: set webhookUrl in the Configuration or the options, give endpoints, or allowedWebhookOrigins for links that carry one',
      )
    }
    this.#capacity = count(options.capacity, 'capacity', DEFAULT_CAPACITY)
    this.#concurrency = count(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY)
    const onFailed = optionalFunction<(outcome: WebhookFailed) => void>(options.onFailed, 'onFailed')
    if (onFailed === null) {
      throw new InvalidArgumentError('onFailed is required: give a function that records failed deliveries, so none is lost unseen')
    }
    this.#onFailed = onFailed
    this.#onDelivered = optionalFunction(options.onDelivered, 'onDelivered')
    this.#onOverflow = optionalFunction(options.onOverflow, 'onOverflow')
    // Every delivery in flight listens for abortInFlight: that is up to `concurrency` listeners.
    setMaxListeners(0, this.#abort.signal)
  }

  /** Deliveries waiting to start. */
  get size(): number {
    return this.#items.length - this.#head
  }

  /** Deliveries running now (waits between retries included). */
  get inFlight(): number {
    return this.#inFlight
  }

  /** True once {@link WebhookQueue.close} was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Queues a result's deliveries (one per receiver that takes it) and returns true; or, when
   * the queue is full, returns false, calls `onOverflow` and queues nothing. Throws a
   * {@link QueueClosedError} after `close()`, and typed errors for a result that cannot be sent.
   *
   * @example
   * ```ts
   * if (!queue.enqueue(result)) metrics.count('webhook.overflow')
   * ```
   */
  enqueue(result: TrackingResult, options?: EnqueueOptions): boolean {
    const items = this.#itemsFor(result, options)
    if (items.length === 0) return true
    if (!this.#hasRoom(items.length) || this.#roomWaiters.length > 0) {
      call(
        this.#onOverflow === null ? null : (error: QueueFullError) => this.#onOverflow?.(error, result),
        new QueueFullError(
          `the webhook queue is full (${this.#capacity} deliveries waiting): raise capacity or concurrency, or use enqueueAndWait to wait for room`,
          { capacity: this.#capacity },
        ),
      )
      return false
    }
    this.#push(items)
    return true
  }

  /**
   * Queues a result's deliveries, first waiting for room when the queue is full
   * (backpressure). Rejects with a {@link QueueClosedError} if the queue closes meanwhile.
   *
   * @example
   * ```ts
   * for await (const result of results) await queue.enqueueAndWait(result)
   * ```
   */
  async enqueueAndWait(result: TrackingResult, options?: EnqueueOptions): Promise<void> {
    const items = this.#itemsFor(result, options)
    if (items.length === 0) return
    if (!this.#hasRoom(items.length) || this.#roomWaiters.length > 0) {
      await new Promise<void>((resolve, reject) => {
        this.#roomWaiters.push({ size: items.length, resolve, reject })
      })
      this.#reserved -= items.length
      if (this.#closed) throw new QueueClosedError('the webhook queue was closed while this call waited for room')
    }
    this.#push(items)
  }

  /**
   * Resolves once nothing waits and nothing runs: every delivery queued so far has ended in
   * `onDelivered` or `onFailed`.
   *
   * @example
   * ```ts
   * await queue.drain()
   * ```
   */
  drain(): Promise<void> {
    if (this.#idle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /**
   * Refuses new deliveries, then resolves once the queued and in-flight ones have ended
   * (or, with options, ends them early in `onFailed`). Callers waiting in `enqueueAndWait`
   * are rejected with a {@link QueueClosedError}.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', async () => {
   *   await queue.close()
   *   process.exit(0)
   * })
   * ```
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      const error = new QueueClosedError('the webhook queue was closed while this call waited for room')
      for (const waiter of this.#roomWaiters.splice(0)) waiter.reject(error)
    }
    if (options.discardQueued === true) {
      const discarded = this.#items.slice(this.#head)
      this.#items = []
      this.#head = 0
      const error = new QueueClosedError('the webhook queue was closed with discardQueued before this delivery started')
      for (const item of discarded) {
        call(this.#onFailed, notAttempted(error, item.target?.url ?? null, item))
      }
    }
    if (options.abortInFlight === true) {
      this.#abort.abort(new QueueClosedError('the webhook queue was closed with abortInFlight during this delivery'))
    }
    this.#closing ??= this.drain()
    return this.#closing
  }

  #itemsFor(result: TrackingResult, options: EnqueueOptions | undefined): Item[] {
    if (this.#closed) throw new QueueClosedError('the webhook queue is closed: it takes no new deliveries')
    const body = payloadOf(result)
    const webhookId = webhookIdOf(options?.webhookId)
    const { targets, rejectedWebhookUrl } = route(result, this.#prepared, true)
    if (targets.length === 0) {
      return rejectedWebhookUrl === null ? [] : [{ result, body, webhookId, target: null, rejectedWebhookUrl }]
    }
    return targets.map((target) => ({ result, body, webhookId, target, rejectedWebhookUrl }))
  }

  #hasRoom(n: number): boolean {
    const size = this.size + this.#reserved
    // A result with more receivers than the capacity still goes in, alone.
    return size === 0 || size + n <= this.#capacity
  }

  #idle(): boolean {
    return this.size === 0 && this.#inFlight === 0
  }

  #push(items: Item[]): void {
    for (const item of items) this.#items.push(item)
    this.#pump()
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#head < this.#items.length) {
      const item = this.#items[this.#head] as Item
      this.#items[this.#head] = undefined as unknown as Item
      this.#head++
      if (this.#head === this.#items.length) {
        this.#items = []
        this.#head = 0
      } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head)
        this.#head = 0
      }
      this.#inFlight++
      void this.#run(item)
    }
    this.#admitWaiters()
  }

  #admitWaiters(): void {
    while (this.#roomWaiters.length > 0) {
      const waiter = this.#roomWaiters[0] as RoomWaiter
      if (!this.#hasRoom(waiter.size)) break
      this.#roomWaiters.shift()
      // The waiter pushes when it resumes; hold its room until then.
      this.#reserved += waiter.size
      waiter.resolve()
    }
  }

  async #run(item: Item): Promise<void> {
    let outcome: WebhookOutcome
    try {
      outcome =
        item.target === null
          ? notAttempted(notAllowed(), null, item)
          : await deliver(this.#prepared, item.target, item, this.#abort.signal)
    } catch (error) {
      // deliver() reports every failure in its outcome; this would be a defect, still reported.
      outcome = notAttempted(
        new WebhookDeliveryError(`webhook delivery to ${item.target?.origin ?? 'the webhook'} failed unexpectedly`, { status: null, attempts: 0, cause: error }),
        item.target?.url ?? null,
        item,
      )
    }
    this.#inFlight--
    if (outcome.delivered) call(this.#onDelivered, outcome)
    else call(this.#onFailed, outcome)
    this.#pump()
    if (this.#idle()) for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }
}

/**
 * Makes a {@link WebhookQueue}.
 *
 * @example
 * ```ts
 * const queue = createWebhookQueue({
 *   configuration,
 *   secret: process.env.WEBHOOK_SECRET,
 *   concurrency: 32,
 *   onDelivered: (o) => metrics.timing('webhook', o.durationMs),
 *   onFailed: (o) => deadLetters.save(o.webhookId, o.result.toJSON(), o.error.message),
 * })
 * ```
 */
export function createWebhookQueue(options: WebhookQueueOptions): WebhookQueue {
  return new WebhookQueue(options)
}
