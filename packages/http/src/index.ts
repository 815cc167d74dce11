/**
 * The framework-neutral tracking handler (Web `Request` in, `Response` out), client classification and errors.
 *
 * @module @pytrack/http
 */

export { createTrackingHandler } from './tracking-handler'
export type {
  AllowedDestinations,
  ForwardedHeader,
  TrackingContext,
  TrackingHandler,
  TrackingHandlerOptions,
  TrackingRoutes,
} from './tracking-handler'
export { classifyClient } from './classify-client'
export type { ClassificationOptions, ClientClassification, ClientKind, ClientSignals } from './classify-client'
export { RedirectRefusedError } from './errors/redirect-refused-error'
export type { RedirectRefusalReason } from './errors/redirect-refused-error'
export type { RedirectRefusedErrorOptions } from './errors/redirect-refused-error'
