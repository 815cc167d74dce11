import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Options of a {@link WebhookDeliveryError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new WebhookDeliveryError('the receiver answered 500 four times', { status: 500, attempts: 4 })
 * ```
 */
export interface WebhookDeliveryErrorOptions extends PytrackErrorOptions {
  /** The last HTTP status the receiver answered with; null when it never answered. */
  status: number | null
  /** How many attempts were made. */
  attempts: number
}

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

  constructor(message: string, options: WebhookDeliveryErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_WEBHOOK_DELIVERY' })
    this.name = 'WebhookDeliveryError'
    this.status = options.status
    this.attempts = options.attempts
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_WEBHOOK_DELIVERY: WebhookDeliveryError
  }
}
