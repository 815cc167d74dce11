// Decoding: a route's token into the tracking result and the answer for it (the pixel, or the
// redirect to the click's destination once it is allowed).
import { getClickTrackingResult, getOpenTrackingResult, InvalidLinkError, type Configuration, type RequestData, type TrackingResult } from '@pytrack/core'
import type { CoreResponse } from './core'
import type { Destination } from './destination'
import { PIXEL_ANSWER, redirectTo } from './responses'
import type { Route } from './router'

export interface Decoded {
  readonly result: TrackingResult
  readonly response: CoreResponse
}

/**
 * The decoder of a handler. It throws what the link's decoding threw (a PytrackError, or the
 * codec's error), InvalidLinkError for a click link without a destination, and
 * RedirectRefusedError for a destination that is not allowed.
 */
export function createDecoder(
  configuration: Configuration,
  locationFor: (destination: string) => Destination,
): (route: Route, isHead: boolean, requestData: RequestData, now: number) => Decoded {
  return (route, isHead, requestData, now) => {
    const options = { configuration, requestData, timestamp: Math.floor(now / 1000) }
    if (route.isOpen) return { result: getOpenTrackingResult(route.token, options), response: isHead ? PIXEL_ANSWER.head : PIXEL_ANSWER.get }
    const result = getClickTrackingResult(route.token, options)
    const destination = result.trackedUrl
    if (!destination) throw new InvalidLinkError('the click link has no destination URL')
    const target = locationFor(destination)
    // One redirect per destination, made once and reused (it has no body, so HEAD gets it too).
    return { result, response: (target.response ??= redirectTo(target.location)) }
  }
}
