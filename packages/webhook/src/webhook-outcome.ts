import type { PytrackError, TrackingResult } from '@pytrack/core'

/**
 * What every outcome tells, delivered or not.
 *
 * @example
 * ```ts
 * const { webhookId, attempts, durationMs }: WebhookOutcomeBase = await sendWebhook(result, { configuration })
 * ```
 */
export interface WebhookOutcomeBase {
  /** The `webhook-id` sent with every attempt of this delivery (receivers de-duplicate on it). */
  webhookId: string
  /** How many HTTP requests were made (0 when the delivery never started). */
  attempts: number
  /** Milliseconds from the first attempt to the outcome, waits included. */
  durationMs: number
  /** The tracking result that was delivered. */
  result: TrackingResult
  /**
   * The webhook URL the link carried when the allow-list refused it (a forged link, or a
   * missing `allowedWebhookOrigins`); the configured webhook was used instead. Otherwise null.
   */
  rejectedWebhookUrl: string | null
}

/**
 * A delivery the receiver accepted with a 2xx status.
 *
 * @example
 * ```ts
 * const outcome = await sendWebhook(result, { configuration })
 * if (outcome.delivered) console.log(outcome.status, outcome.attempts, outcome.durationMs)
 * ```
 */
export interface WebhookDelivered extends WebhookOutcomeBase {
  /** True: the receiver accepted it. */
  delivered: true
  /** The URL that was posted to. */
  url: string
  /** The receiver's 2xx status. */
  status: number
}

/**
 * A delivery that failed for good, after the retries the policy allowed.
 *
 * @example
 * ```ts
 * const outcome = await sendWebhook(result, { configuration })
 * if (!outcome.delivered) console.warn(outcome.error.code, outcome.status, outcome.attempts)
 * ```
 */
export interface WebhookFailed extends WebhookOutcomeBase {
  /** False: the delivery failed for good; see `error`. */
  delivered: false
  /** The URL that was posted to; null when none could be used. */
  url: string | null
  /** The last HTTP status the receiver answered with; null when it never answered. */
  status: number | null
  /**
   * Why: `ERR_PYTRACK_WEBHOOK_DELIVERY` (an HTTP status, network error, timeout or spent
   * budget; `cause` keeps the network error), `ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED` (the
   * link's URL was refused and no webhook is configured) or `ERR_PYTRACK_QUEUE_CLOSED`
   * (discarded by `close({ discardQueued: true })`).
   */
  error: PytrackError
}

/**
 * The outcome of one delivery: test `delivered`.
 *
 * @example
 * ```ts
 * function log(outcome: WebhookOutcome) {
 *   if (outcome.delivered) metrics.count('webhook.ok')
 *   else logger.error(outcome.error.message)
 * }
 * ```
 */
export type WebhookOutcome = WebhookDelivered | WebhookFailed
