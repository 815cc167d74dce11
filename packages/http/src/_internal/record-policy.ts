// The recordEvent policy: a hit is recorded before it is answered. A recorder that returns no
// promise keeps the answer synchronous; a promise holds the answer until it resolves; a throw
// or a rejection answers 503 instead of the pixel or redirect, so no hit is acknowledged that
// was not recorded, and onTrackingEvent is then not called.
import type { TrackingResult } from '@pytrack/core'
import type { TrackingContext } from '../tracking-handler'
import type { CoreRequest, CoreResponse } from './core'
import type { EventHook } from './core-options'
import type { HookScheduler } from './hook-scheduler'
import { UNAVAILABLE } from './responses'

/** What happens to a decoded hit: recorded (when there is a recorder), then its onTrackingEvent queued; the answer to give. */
export type Acknowledge = (
  result: TrackingResult,
  response: CoreResponse,
  isHead: boolean,
  request: CoreRequest,
  context: TrackingContext,
) => CoreResponse | Promise<CoreResponse>

export function createRecordPolicy(recordEvent: EventHook | undefined, hooks: HookScheduler, reportHookError: (error: unknown) => void): Acknowledge {
  if (!recordEvent) {
    return (result, response, _isHead, request, context) => {
      hooks.trackingEvent(result, request, context)
      return response
    }
  }
  return (result, response, isHead, request, context) => {
    let outcome: unknown
    try {
      outcome = recordEvent(result, request.toRequest(), context)
    } catch (error) {
      reportHookError(error)
      return isHead ? UNAVAILABLE.head : UNAVAILABLE.get
    }
    if (outcome === null || outcome === undefined || typeof (outcome as { then?: unknown }).then !== 'function') {
      hooks.trackingEvent(result, request, context)
      return response
    }
    return Promise.resolve(outcome).then(
      () => {
        hooks.trackingEvent(result, request, context)
        return response
      },
      (error: unknown) => {
        reportHookError(error)
        return isHead ? UNAVAILABLE.head : UNAVAILABLE.get
      },
    )
  }
}
