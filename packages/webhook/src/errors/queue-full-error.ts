import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A {@link WebhookQueue} had no room for a delivery: `capacity` deliveries were already
 * waiting. `enqueue` returns false and hands this error to `onOverflow`; use
 * `enqueueAndWait` to wait for room instead.
 *
 * @example
 * ```ts
 * const queue = createWebhookQueue({ configuration, onOverflow: (error) => log.warn(error.message) })
 * ```
 */
export class QueueFullError extends PytrackError {
  /** The queue's capacity. */
  readonly capacity: number

  constructor(message: string, capacity: number, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_QUEUE_FULL', message, options)
    this.name = 'QueueFullError'
    this.capacity = capacity
  }
}
