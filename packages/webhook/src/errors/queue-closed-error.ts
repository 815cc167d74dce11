import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A {@link WebhookQueue} was closed: new deliveries are refused, and with
 * `close({ discardQueued: true })` the deliveries still waiting end in `onFailed` with this error.
 *
 * @example
 * ```ts
 * await queue.close()
 * queue.enqueue(result) // throws QueueClosedError
 * ```
 */
export class QueueClosedError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_QUEUE_CLOSED' })
    this.name = 'QueueClosedError'
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_QUEUE_CLOSED: QueueClosedError
  }
}
