// The request data of a hit (pytracking's request_data): User-Agent, client IP, time, method,
// Referer, and the client's label when classification is on.
import type { RequestData } from '@pytrack/core'
import type { Classifier } from './classifier'
import { clientIp, type ForwardedHeader } from './client-ip'
import type { CoreRequest } from './core'
import type { RangeTest } from './ip'

/** Makes the request data of a hit at `now` (milliseconds since the epoch). */
export function createRequestData(
  classify: Classifier | undefined,
  isTrusted: RangeTest | undefined,
  forwardedHeader: ForwardedHeader,
): (request: CoreRequest, now: number) => RequestData {
  // Hits in the same millisecond share the formatted time.
  let lastNow = 0
  let lastIso = ''
  return (request, now) => {
    const method = request.method
    const userAgent = request.header('user-agent')
    const ip = clientIp(request.remoteAddress, isTrusted, isTrusted ? request.header(forwardedHeader) : null, forwardedHeader)
    if (now !== lastNow) {
      lastNow = now
      lastIso = new Date(now).toISOString()
    }
    // One literal each way, so every hit's object has the same shape from the start.
    if (classify) {
      const label = classify(method, userAgent, ip, request)
      return {
        user_agent: userAgent,
        user_ip: ip,
        request_time: lastIso,
        method,
        referer: request.header('referer'),
        client_kind: label.kind,
        client_reason: label.reason,
      }
    }
    return { user_agent: userAgent, user_ip: ip, request_time: lastIso, method, referer: request.header('referer') }
  }
}
