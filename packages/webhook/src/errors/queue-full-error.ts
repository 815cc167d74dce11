import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Options of a {@link QueueFullError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new QueueFullError('the webhook queue is full', { capacity: 10_000 })
 * ```
 */
export interface QueueFullErrorOptions extends PytrackErrorOptions {
  /** The queue's capacity. */
  capacity: number
}

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

  constructor(message: string, options: QueueFullErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_QUEUE_FULL' })
    this.name = 'QueueFullError'
    this.capacity = options.capacity
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_QUEUE_FULL: QueueFullError
  }
}
