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
    super('ERR_PYTRACK_QUEUE_CLOSED', message, options)
    this.name = 'QueueClosedError'
  }
}
