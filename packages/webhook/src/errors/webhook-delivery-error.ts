import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A webhook delivery failed for good: the receiver answered with a status that is not 2xx
 * (after retries when the status was worth retrying), the network failed on every attempt,
 * or the time budget ran out. The message names the receiver without its query string.
 *
 * @example
 * ```ts
 * const outcome = await sendWebhook(result, { configuration })
 * if (!outcome.delivered && isPytrackError(outcome.error, 'ERR_PYTRACK_WEBHOOK_DELIVERY')) {
 *   console.warn(outcome.error.message, outcome.error.status)
 * }
 * ```
 */
export class WebhookDeliveryError extends PytrackError {
  /** The last HTTP status the receiver answered with; null when it never answered. */
  readonly status: number | null
  /** How many attempts were made. */
  readonly attempts: number

  constructor(message: string, status: number | null, attempts: number, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_WEBHOOK_DELIVERY', message, options)
    this.name = 'WebhookDeliveryError'
    this.status = status
    this.attempts = attempts
  }
}
