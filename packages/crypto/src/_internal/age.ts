// Link age, shared by fernetCodec and signedCodec.
import { InvalidArgumentError, InvalidLinkError, describeValue } from '@pytrack/core'
import type { CodecOptions } from '../codec-options'
import { LinkExpiredError } from '../errors/link-expired-error'
import { MAX_CLOCK_SKEW, checkTime, nowSeconds } from './fernet-token'

/** Checks the age options shared by both codecs; returns the clock to use. */
export function ageOptions(options: CodecOptions): { maxAgeSeconds: number | undefined; clock: () => number } {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('codec options must be an object such as { maxAgeSeconds: 86400 }')
  }
  const { maxAgeSeconds, clock } = options
  if (maxAgeSeconds !== undefined && (typeof maxAgeSeconds !== 'number' || !Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0)) {
    throw new InvalidArgumentError(`maxAgeSeconds must be a finite number of seconds (≥ 0); got ${describeValue(maxAgeSeconds)}`)
  }
  if (clock !== undefined && typeof clock !== 'function') {
    throw new InvalidArgumentError('clock must be a function returning seconds since the epoch')
  }
  return { maxAgeSeconds, clock: clock ? () => checkTime('clock()', Math.floor(clock())) : nowSeconds }
}

/**
 * Applies `maxAgeSeconds` to an authentic link made at `issuedAt`: expired when
 * `issuedAt + maxAge < now` (Python's ttl rule), refused when more than 60 s in the future.
 */
export function checkAge(issuedAt: number, maxAgeSeconds: number, now: number): void {
  if (issuedAt + maxAgeSeconds < now) {
    throw new LinkExpiredError(
      `the tracking link expired: it was made ${now - issuedAt} seconds ago, over maxAgeSeconds (${maxAgeSeconds})`,
      { issuedAt, maxAgeSeconds },
    )
  }
  if (now + MAX_CLOCK_SKEW < issuedAt) {
    throw new InvalidLinkError(
      `the tracking link is stamped ${issuedAt - now} seconds in the future; check the clocks of the machines making links`,
    )
  }
}
