import { Agent, type Dispatcher } from 'undici'

let shared: Dispatcher | undefined

/**
 * The keep-alive agent every delivery uses unless the caller passes its own `dispatcher`.
 * Made on first use; idle sockets do not keep the process alive (undici unrefs them).
 */
export function defaultDispatcher(): Dispatcher {
  // A bound per origin, so a burst of deliveries queues in undici instead of opening
  // thousands of sockets to one receiver.
  shared ??= new Agent({ connections: 128 })
  return shared
}
