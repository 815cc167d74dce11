import { STATUS_CODES } from 'node:http'
import { isPytrackError, type PytrackError, type TrackingResult } from '@pytrack/core'
import type { Dispatcher } from 'undici'
import { WebhookDeliveryError } from '../errors/webhook-delivery-error'
import { retryAfterMs } from './retry-after'
import type { WebhookFailed, WebhookOutcome } from '../webhook-outcome'
import { signatureHeader } from './secret'

/** One receiver of one delivery, resolved and checked. */
export interface Target {
  url: string
  /** Also how messages name it: the path of a webhook URL is often its secret (Slack, Discord, Zapier). */
  origin: string
  path: string
  keys: readonly Uint8Array[] | null
  timeoutMs: number
  headers: Readonly<Record<string, string>> | null
}

/** What one result sends: the same to every target. */
export interface Message {
  readonly body: string
  readonly webhookId: string
  readonly result: TrackingResult
  /** A webhook URL the link carried and the allow-list refused, reported in the outcome. */
  readonly rejectedWebhookUrl: string | null
}

/** How deliveries are made: the HTTP client and the retry policy. */
export interface Sender {
  readonly dispatcher: Dispatcher
  readonly policy: RetryPolicy
}

/** The retry policy, checked. */
export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  budgetMs: number
  random: () => number
}

type AttemptResult =
  | { kind: 'ok'; status: number }
  | { kind: 'status'; status: number; retryable: boolean; retryAfterMs: number | null }
  | { kind: 'error'; error: unknown; retryable: boolean; aborted: boolean; timedOut: boolean }

const USER_AGENT = 'pytrack-webhook'
// Marks an abort as ours (the attempt's timeout), so it can be told from the caller's.
const TIMEOUT = Symbol('timeout')

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

async function attempt(
  dispatcher: Dispatcher,
  target: Target,
  body: string,
  webhookId: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<AttemptResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': webhookId,
  }
  if (target.keys) {
    const timestamp = Math.floor(Date.now() / 1000)
    headers['webhook-timestamp'] = String(timestamp)
    headers['webhook-signature'] = signatureHeader(target.keys, webhookId, timestamp, body)
  }
  if (target.headers) Object.assign(headers, target.headers)

  const controller = new AbortController()
  // setTimeout takes at most 2^31-1 ms; a longer delay would fire at once.
  const timer = setTimeout(() => controller.abort(TIMEOUT), Math.min(timeoutMs, 2_147_483_647))
  const onAbort = (): void => controller.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (signal?.aborted) throw signal.reason
    const response = await dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
    })
    // Read the answer to its end so the keep-alive socket goes back to the pool.
    await response.body.dump()
    const status = response.statusCode
    if (status >= 200 && status < 300) return { kind: 'ok', status }
    const retryable = isRetryableStatus(status)
    return {
      kind: 'status',
      status,
      retryable,
      retryAfterMs: retryable ? retryAfterMs(response.headers['retry-after'], Date.now()) : null,
    }
  } catch (error) {
    const timedOut = controller.signal.reason === TIMEOUT
    const aborted = !timedOut && signal?.aborted === true
    return { kind: 'error', error: timedOut ? undefined : error, retryable: !aborted, aborted, timedOut }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    const text = typeof message === 'string' && message !== '' ? message : 'network error'
    return typeof code === 'string' ? `${text} (${code})` : text
  }
  return 'network error'
}

function describeStatus(status: number): string {
  const text = STATUS_CODES[status]
  return text ? `${status} ${text}` : String(status)
}

function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`
}

/**
 * Delivers `body` to one target, retrying as the policy allows. Never throws for a
 * delivery failure: the outcome says what happened.
 */
export async function deliver(
  { dispatcher, policy }: Sender,
  target: Target,
  { body, webhookId, result, rejectedWebhookUrl }: Message,
  signal: AbortSignal | undefined,
): Promise<WebhookOutcome> {
  const started = performance.now()
  let attempts = 0
  let lastStatus: number | null = null
  let last: AttemptResult | undefined
  let stop = ''
  let timeoutMs = target.timeoutMs
  // Aborted before the first request (a queue closed with abortInFlight while this one waited,
  // or a caller's signal that had already fired): nothing is sent, no attempt counted.
  if (signal?.aborted) last = { kind: 'error', error: signal.reason, retryable: false, aborted: true, timedOut: false }
  else for (;;) {
    attempts++
    // An attempt never outlives the budget.
    timeoutMs = Math.max(1, Math.min(target.timeoutMs, policy.budgetMs - (performance.now() - started)))
    last = await attempt(dispatcher, target, body, webhookId, timeoutMs, signal)
    if (last.kind === 'ok') {
      return {
        delivered: true,
        url: target.url,
        status: last.status,
        webhookId,
        attempts,
        durationMs: performance.now() - started,
        result,
        rejectedWebhookUrl,
      }
    }
    if (last.kind === 'status') lastStatus = last.status
    if (!last.retryable) break
    if (attempts >= policy.attempts) {
      stop = `; gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} (retry.attempts)`
      break
    }
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1))
    const asked = last.kind === 'status' ? last.retryAfterMs : null
    const delay = asked ?? Math.floor(policy.random() * cap)
    const remaining = policy.budgetMs - (performance.now() - started)
    if (delay >= remaining) {
      stop =
        asked === null
          ? `; the time budget of ${seconds(policy.budgetMs)} ran out (retry.budgetMs)`
          : `; Retry-After asked for ${seconds(asked)}, beyond the ${seconds(Math.max(0, remaining))} left of the budget (retry.budgetMs)`
      break
    }
    if (!(await sleep(delay, signal))) {
      last = { kind: 'error', error: signal?.reason, retryable: false, aborted: true, timedOut: false }
      break
    }
  }

  let why: string
  if (last.kind === 'status') {
    why = last.retryable
      ? `the receiver answered ${describeStatus(last.status)}`
      : `the receiver answered ${describeStatus(last.status)}, which is not retried (only 408, 429 and 5xx are)`
  } else if (last.kind === 'error' && last.aborted) {
    // A queue closing with abortInFlight says so; any other abort is the caller's.
    why = isPytrackError(signal?.reason) ? signal.reason.message : "the caller's signal aborted it"
  } else if (last.kind === 'error' && last.timedOut) {
    why = `no answer within ${seconds(timeoutMs)} (webhookTimeoutSeconds)`
  } else {
    why = describeError((last as { error: unknown }).error)
  }
  const cause = last.kind === 'error' ? last.error : undefined
  const error = new WebhookDeliveryError(
    `webhook delivery to ${target.origin} failed: ${why}${stop}`,
    { status: lastStatus, attempts, cause },
  )
  return {
    delivered: false,
    url: target.url,
    status: lastStatus,
    error,
    webhookId,
    attempts,
    durationMs: performance.now() - started,
    result,
    rejectedWebhookUrl,
  }
}

/** A failed outcome for a delivery that never started (refused URL, closed queue). */
export function notAttempted(
  error: PytrackError,
  url: string | null,
  { webhookId, result, rejectedWebhookUrl }: Message,
): WebhookFailed {
  return { delivered: false, url, status: null, error, webhookId, attempts: 0, durationMs: 0, result, rejectedWebhookUrl }
}
