import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A webhook URL read from a tracking link is not on the allow-list (`allowedWebhookOrigins`)
 * or is not http(s). Links can be forged, so such a URL is never used unless allowed; the
 * configured webhook is used instead when there is one.
 *
 * @example
 * ```ts
 * const outcome = await sendWebhook(result, { allowedWebhookOrigins: ['https://hooks.example.com'] })
 * if (!outcome.delivered && isPytrackError(outcome.error, 'ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED')) {
 *   console.warn('forged link?', outcome.rejectedWebhookUrl)
 * }
 * ```
 */
export class WebhookUrlNotAllowedError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED' })
    this.name = 'WebhookUrlNotAllowedError'
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED: WebhookUrlNotAllowedError
  }
}
