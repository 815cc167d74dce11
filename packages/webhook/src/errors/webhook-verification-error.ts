import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Why {@link verifyWebhook} refused a request.
 *
 * @example
 * ```ts
 * if (error instanceof WebhookVerificationError && error.reason === 'timestamp-out-of-tolerance') checkClock()
 * ```
 */
export type WebhookVerificationFailure =
  | 'missing-header'
  | 'invalid-timestamp'
  | 'timestamp-out-of-tolerance'
  | 'invalid-signature'
  | 'invalid-payload'

/**
 * Options of a {@link WebhookVerificationError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new WebhookVerificationError('no signature matches', { reason: 'invalid-signature' })
 * ```
 */
export interface WebhookVerificationErrorOptions extends PytrackErrorOptions {
  /** What was wrong, as a stable string. */
  reason: WebhookVerificationFailure
}

/**
 * {@link verifyWebhook} refused a request: a header is missing, the timestamp is outside the
 * tolerance window, no signature matches the secret(s), or the signed body is not a tracking
 * payload. Answer such requests with 400 or 401 and do not process them.
 *
 * @example
 * ```ts
 * try {
 *   verifyWebhook(rawBody, request.headers, secret)
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_WEBHOOK_VERIFICATION')) return reply(401)
 *   throw error
 * }
 * ```
 */
export class WebhookVerificationError extends PytrackError {
  /** What was wrong, as a stable string. */
  readonly reason: WebhookVerificationFailure

  constructor(message: string, options: WebhookVerificationErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_WEBHOOK_VERIFICATION' })
    this.name = 'WebhookVerificationError'
    this.reason = options.reason
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_WEBHOOK_VERIFICATION: WebhookVerificationError
  }
}
