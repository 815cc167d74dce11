// The hook scheduler: onTrackingEvent and onDecodingError run after the answer is on its way,
// in the order of the hits, and whatever they throw or reject with goes to onHookError.
import { InvalidLinkError, isPytrackError, type PytrackError, type TrackingResult } from '@pytrack/core'
import type { TrackingContext } from '../tracking-handler'
import type { CoreRequest } from './core'
import type { ErrorHook, EventHook } from './core-options'

export interface HookScheduler {
  /** Queues onTrackingEvent for a hit (nothing when there is no such hook). */
  trackingEvent(result: TrackingResult, request: CoreRequest, context: TrackingContext): void
  /** Queues onDecodingError for a hit that was not served; an error that is no PytrackError is wrapped in InvalidLinkError. */
  decodingError(error: unknown, request: CoreRequest, context: TrackingContext): void
}

const noop = (): void => {}

/** Calls onHookError and swallows what it throws or rejects with: the last resort never fails the handler. */
export function createHookErrorReporter(onHookError: (error: unknown) => unknown): (error: unknown) => void {
  return (error) => {
    try {
      const outcome = onHookError(error) as { then?: unknown } | undefined
      if (outcome && typeof outcome.then === 'function') (outcome as Promise<unknown>).then(noop, noop)
    } catch {
      // The last resort has failed too; nothing is left to tell.
    }
  }
}

// Hooks run after the response has been handed to the socket: setImmediate comes after the
// microtasks in which every adapter writes the response.
const later: (task: () => void) => void =
  typeof setImmediate === 'function' ? (task) => void setImmediate(task) : (task) => void setTimeout(task, 0)

/** A hook call waiting for its turn: the hook's subject (result or error), request, context, waitUntil's resolver. */
type Pending = [isEvent: boolean, subject: TrackingResult | PytrackError, request: CoreRequest, context: TrackingContext, done: (() => void) | undefined]

export function createHookScheduler(
  onTrackingEvent: EventHook | undefined,
  onDecodingError: ErrorHook | undefined,
  reportHookError: (error: unknown) => void,
): HookScheduler {
  // After a hook returned: a rejection goes to onHookError, never further.
  const settle = (outcome: unknown, done: (() => void) | undefined): void => {
    if (outcome && typeof (outcome as { then?: unknown }).then === 'function') {
      const settled = Promise.resolve(outcome).then(noop, reportHookError)
      if (done) void settled.finally(done)
    } else {
      done?.()
    }
  }

  // With waitUntil (Workers), the platform is told, while the request is live, to wait for the hook.
  const keepAlive = (context: TrackingContext): (() => void) | undefined => {
    if (typeof context.waitUntil !== 'function') return undefined
    let done: (() => void) | undefined
    try {
      context.waitUntil(new Promise<void>((resolve) => (done = resolve)))
    } catch (error) {
      reportHookError(error)
    }
    return done
  }

  // Hook calls are queued and run in order, in one deferred task per batch of hits: one
  // timer for many hits under load, instead of one each.
  let queue: Pending[] = []
  const flush = (): void => {
    const batch = queue
    queue = []
    for (const [isEvent, subject, request, context, done] of batch) {
      let outcome: unknown
      try {
        outcome = isEvent
          ? onTrackingEvent?.(subject as TrackingResult, request.toRequest(), context)
          : onDecodingError?.(subject as PytrackError, request.toRequest(), context)
      } catch (error) {
        reportHookError(error)
        done?.()
        continue
      }
      settle(outcome, done)
    }
  }
  const enqueue = (pending: Pending): void => {
    if (queue.push(pending) === 1) later(flush)
  }

  return {
    trackingEvent(result, request, context) {
      if (onTrackingEvent) enqueue([true, result, request, context, keepAlive(context)])
    },
    decodingError(error, request, context) {
      if (!onDecodingError) return
      const pytrackError: PytrackError = isPytrackError(error) ? error : new InvalidLinkError('the tracking link could not be decoded', { cause: error })
      enqueue([false, pytrackError, request, context, keepAlive(context)])
    },
  }
}
